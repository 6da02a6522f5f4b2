/* UNIDIRECTIONAL_SEQUENCE_LSTM, integer path, bit-exact with TFLite Micro's
 * kernel. Per time step and unit k:
 *   z_g   = sat16(clamp16(rq(x . Wx_g[k] + b_g[k])) + clamp16(rq(h . Wh_g[k])))
 *   i, f, o = sigmoid(z), g = tanh(z)                (z in Q3.12, gates Q0.15)
 *   c[k]  = sat16(clamp16(rq(f * c[k])) + clamp16(rq(i * g))), then clipped
 *   h'[k] = clamp8(rq(tanh(c[k]) * o) + hidden_zp)
 * Every quantity is per unit, so the four gates of a unit are computed
 * together and need no scratch. The recurrent products read the previous
 * hidden state, so the new one goes to output row t and is copied into the
 * state after the last unit. Sums wrap modulo 2^32 as the reference's int32
 * sums do. */
#include "kws_lstm_s8.h"

#include <string.h>

void kws_lstm_s8(const kws_lstm_params_t *p, const int8_t *input, void *hidden_v, void *cell_v, int8_t *output)
{
    int8_t *hidden = (int8_t *)hidden_v;
    int16_t *cell = (int16_t *)cell_v;
    const int32_t n_in = p->input_size;
    const int32_t units = p->units;
    const size_t in_gate = (size_t)units * (size_t)n_in;
    const size_t rec_gate = (size_t)units * (size_t)units;
    int32_t t, k, j, g;

    for (t = 0; t < p->time_steps; ++t) {
        const int8_t *x = input + (size_t)t * (size_t)n_in;
        int8_t *y = output + (size_t)t * (size_t)units;
        for (k = 0; k < units; ++k) {
            const int8_t *wx = p->w_in + (size_t)k * (size_t)n_in;
            const int8_t *wh = p->w_rec + (size_t)k * (size_t)units;
            uint32_t ax[4], ah[4];
            for (g = 0; g < 4; ++g) {
                ax[g] = (uint32_t)p->bias_in[g * units + k];
                ah[g] = (uint32_t)p->bias_rec[g * units + k];
            }
            for (j = 0; j < n_in; ++j) {
                const int32_t xv = x[j];
                ax[0] += (uint32_t)(wx[j] * xv);
                ax[1] += (uint32_t)(wx[in_gate + j] * xv);
                ax[2] += (uint32_t)(wx[2 * in_gate + j] * xv);
                ax[3] += (uint32_t)(wx[3 * in_gate + j] * xv);
            }
            for (j = 0; j < units; ++j) {
                const int32_t hv = hidden[j];
                ah[0] += (uint32_t)(wh[j] * hv);
                ah[1] += (uint32_t)(wh[rec_gate + j] * hv);
                ah[2] += (uint32_t)(wh[2 * rec_gate + j] * hv);
                ah[3] += (uint32_t)(wh[3 * rec_gate + j] * hv);
            }
            y[k] = kws_lstm_unit(p, ax, ah, &cell[k]);
        }
        memcpy(hidden, y, (size_t)units);
    }
}
