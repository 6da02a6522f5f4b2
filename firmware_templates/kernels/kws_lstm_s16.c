/* UNIDIRECTIONAL_SEQUENCE_LSTM with int16 activations (16x8), bit-exact
 * with TFLite Micro's kernel. Per time step and unit k:
 *   z_g   = sat16(clamp16(rq64(x . Wx_g[k] + b_g[k])) + clamp16(rq64(h . Wh_g[k])))
 * then the gates, cell and hidden update of kws_lstm.h, the hidden value
 * clamped to int16. The sums are int64: an int16 value times an int8 weight
 * needs 23 bits, so 32 bits would overflow after a few hundred products. The
 * recurrent products read the previous hidden state, so the new one goes to
 * output row t and is copied into the state after the last unit. */
#include "kws_lstm_s16.h"

/* Adds to acc[0..3] the dot products of v (n values) with four gate rows,
 * gate_stride apart, from w: one pass for all four, in locals (sums through
 * the array went to memory on every product). */
static inline void four_rows(int64_t acc[4], const int16_t *v, const int8_t *w, size_t gate_stride, int32_t n)
{
    int64_t s0 = acc[0], s1 = acc[1], s2 = acc[2], s3 = acc[3];
    int32_t j;
    for (j = 0; j < n; ++j) {
        const int32_t x = v[j];
        s0 += w[j] * x;
        s1 += w[gate_stride + j] * x;
        s2 += w[2 * gate_stride + j] * x;
        s3 += w[3 * gate_stride + j] * x;
    }
    acc[0] = s0;
    acc[1] = s1;
    acc[2] = s2;
    acc[3] = s3;
}

/* Unit k's four gate sums (a kws_lstm_s16_sums_fn). */
static void gate_sums(const kws_lstm_s16_params_t *p, const int16_t *x, const int16_t *hidden, int32_t k,
                      int64_t ax[4], int64_t ah[4])
{
    const size_t n_in = (size_t)p->input_size;
    const size_t units = (size_t)p->units;
    four_rows(ax, x, p->w_in + (size_t)k * n_in, units * n_in, p->input_size);
    four_rows(ah, hidden, p->w_rec + (size_t)k * units, units * units, p->units);
}

void kws_lstm_s16(const kws_lstm_s16_params_t *p, const void *input, void *hidden, void *cell, void *output)
{
    kws_lstm_s16_with(p, input, hidden, cell, output, gate_sums);
}
