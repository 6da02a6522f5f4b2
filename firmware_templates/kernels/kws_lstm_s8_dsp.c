/* UNIDIRECTIONAL_SEQUENCE_LSTM for cores with the DSP extension: the
 * portable kernel (kws_lstm_s8.c) with its dot products four values at a
 * time, two SMLAD per gate on SXTB16-widened words (bytes 0, 2 and 1, 3 of
 * the input and of each weight word), the four gates' weights of a unit
 * interleaved so one pointer walks them, unaligned words read with
 * kws_read_u32. SMLAD's sums wrap modulo 2^32 like the portable kernel's,
 * so the results are the same bit for bit. */
#include "kws_lstm_s8.h"
#include "kws_simd.h"

/* one word of gate weights against the widened input word (xe, xo) */
#define KWS_LSTM_MAC4(acc, word)                                      \
    do {                                                              \
        const uint32_t ww_ = (word);                                  \
        (acc) = kws_smlad(kws_sxtb16(ww_), xe, (acc));                \
        (acc) = kws_smlad(kws_sxtb16_ror8(ww_), xo, (acc));           \
    } while (0)

/* acc[0..3] += row_g . v over n values; w is one unit's rows interleaved
 * (generator/model/ops/lstm.py, interleaved_gates): per four values the four
 * gates' words, then per remaining value the four gates' bytes */
static const int8_t *dot4(uint32_t acc[4], const int8_t *v, const int8_t *w, int32_t n)
{
    int32_t a0 = (int32_t)acc[0], a1 = (int32_t)acc[1], a2 = (int32_t)acc[2], a3 = (int32_t)acc[3];
    const int8_t *end = v + (n & ~3);
    while (v != end) {
        const uint32_t xv = kws_read_u32(v);
        const uint32_t xe = kws_sxtb16(xv);
        const uint32_t xo = kws_sxtb16_ror8(xv);
        v += 4;
        KWS_LSTM_MAC4(a0, kws_read_u32(w));
        KWS_LSTM_MAC4(a1, kws_read_u32(w + 4));
        KWS_LSTM_MAC4(a2, kws_read_u32(w + 8));
        KWS_LSTM_MAC4(a3, kws_read_u32(w + 12));
        w += 16;
    }
    for (n &= 3; n > 0; --n, w += 4) {
        const int32_t xv = *v++;
        a0 = (int32_t)((uint32_t)a0 + (uint32_t)(w[0] * xv));
        a1 = (int32_t)((uint32_t)a1 + (uint32_t)(w[1] * xv));
        a2 = (int32_t)((uint32_t)a2 + (uint32_t)(w[2] * xv));
        a3 = (int32_t)((uint32_t)a3 + (uint32_t)(w[3] * xv));
    }
    acc[0] = (uint32_t)a0;
    acc[1] = (uint32_t)a1;
    acc[2] = (uint32_t)a2;
    acc[3] = (uint32_t)a3;
    return w;
}

void kws_lstm_s8_dsp(const kws_lstm_params_t *p, const int8_t *input, void *hidden_v, void *cell_v,
                     int8_t *output)
{
    int8_t *hidden = (int8_t *)hidden_v;
    int16_t *cell = (int16_t *)cell_v;
    const int32_t n_in = p->input_size;
    const int32_t units = p->units;
    int32_t t, k, g;

    for (t = 0; t < p->time_steps; ++t) {
        const int8_t *x = input + (size_t)t * (size_t)n_in;
        int8_t *y = output + (size_t)t * (size_t)units;
        const int8_t *wx = p->w_in;
        const int8_t *wh = p->w_rec;
        for (k = 0; k < units; ++k) {
            uint32_t ax[4], ah[4];
            for (g = 0; g < 4; ++g) {
                ax[g] = (uint32_t)p->bias_in[g * units + k];
                ah[g] = (uint32_t)p->bias_rec[g * units + k];
            }
            wx = dot4(ax, x, wx, n_in);
            wh = dot4(ah, hidden, wh, units);
            y[k] = kws_lstm_unit(p, ax, ah, &cell[k]);
        }
        memcpy(hidden, y, (size_t)units);
    }
}
