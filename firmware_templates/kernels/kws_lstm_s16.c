/* UNIDIRECTIONAL_SEQUENCE_LSTM with int16 activations (16x8), bit-exact
 * with TFLite Micro's kernel. Per time step and unit k:
 *   z_g   = sat16(clamp16(rq64(x . Wx_g[k] + b_g[k])) + clamp16(rq64(h . Wh_g[k])))
 * then the gates, cell and hidden update of kws_lstm.h, the hidden value
 * clamped to int16. The sums are int64: an int16 value times an int8 weight
 * needs 23 bits, so 32 bits would overflow after a few hundred products. The
 * recurrent products read the previous hidden state, so the new one goes to
 * output row t and is copied into the state after the last unit. */
#include "kws_lstm_s16.h"

#include <string.h>

/* clamp16 of one gate's requantized sum */
static int32_t gate_sum(int64_t acc, int32_t mult, int32_t shift)
{
    return kws_clamp_i32(kws_mul_by_quantized_mul_wide(acc, mult, (int)shift), INT16_MIN, INT16_MAX);
}

/* Unit k's four gate sums (a kws_lstm_s16_sums_fn): one pass over each row
 * for all four gates. */
static void gate_sums(const kws_lstm_s16_params_t *p, const int16_t *x, const int16_t *hidden, int32_t k,
                      int64_t ax[4], int64_t ah[4])
{
    const int32_t n_in = p->input_size;
    const int32_t units = p->units;
    const size_t in_gate = (size_t)units * (size_t)n_in;
    const size_t rec_gate = (size_t)units * (size_t)units;
    const int8_t *wx = p->w_in + (size_t)k * (size_t)n_in;
    const int8_t *wh = p->w_rec + (size_t)k * (size_t)units;
    int32_t j;
    for (j = 0; j < n_in; ++j) {
        const int32_t xv = x[j];
        ax[0] += wx[j] * xv;
        ax[1] += wx[in_gate + j] * xv;
        ax[2] += wx[2 * in_gate + j] * xv;
        ax[3] += wx[3 * in_gate + j] * xv;
    }
    for (j = 0; j < units; ++j) {
        const int32_t hv = hidden[j];
        ah[0] += wh[j] * hv;
        ah[1] += wh[rec_gate + j] * hv;
        ah[2] += wh[2 * rec_gate + j] * hv;
        ah[3] += wh[3 * rec_gate + j] * hv;
    }
}

void kws_lstm_s16_with(const kws_lstm_s16_params_t *p, const void *input_v, void *hidden_v, void *cell_v,
                       void *output_v, kws_lstm_s16_sums_fn sums)
{
    const int16_t *input = (const int16_t *)input_v;
    int16_t *hidden = (int16_t *)hidden_v;
    int16_t *cell = (int16_t *)cell_v;
    int16_t *output = (int16_t *)output_v;
    const int32_t n_in = p->input_size;
    const int32_t units = p->units;
    int32_t t, k, g;

    for (t = 0; t < p->time_steps; ++t) {
        const int16_t *x = input + (size_t)t * (size_t)n_in;
        int16_t *y = output + (size_t)t * (size_t)units;
        for (k = 0; k < units; ++k) {
            int64_t ax[4], ah[4];
            int32_t z[4];
            for (g = 0; g < 4; ++g) {
                ax[g] = p->bias_in[g * units + k];
                ah[g] = p->bias_rec[g * units + k];
            }
            sums(p, x, hidden, k, ax, ah);
            for (g = 0; g < 4; ++g) {
                z[g] = kws_clamp_i32(gate_sum(ax[g], p->in_mult[g], p->in_shift[g])
                                     + gate_sum(ah[g], p->rec_mult[g], p->rec_shift[g]), INT16_MIN, INT16_MAX);
            }
            y[k] = (int16_t)kws_lstm_update(&p->update, z, &cell[k]);
        }
        memcpy(hidden, y, (size_t)units * sizeof(int16_t));
    }
}

void kws_lstm_s16(const kws_lstm_s16_params_t *p, const void *input, void *hidden, void *cell, void *output)
{
    kws_lstm_s16_with(p, input, hidden, cell, output, gate_sums);
}
