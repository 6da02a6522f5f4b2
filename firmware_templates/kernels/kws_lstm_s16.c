/* UNIDIRECTIONAL_SEQUENCE_LSTM with int16 activations (16x8), bit-exact
 * with TFLite Micro's kernel. Per time step and unit k:
 *   z_g   = sat16(clamp16(rq64(x . Wx_g[k] + b_g[k])) + clamp16(rq64(h . Wh_g[k])))
 * then the gates, cell and hidden update of kws_lstm.h, the hidden value
 * clamped to int16. The sums are int64: an int16 value times an int8 weight
 * needs 23 bits, so 32 bits would overflow after a few hundred products. The
 * recurrent products read the previous hidden state, so the new one goes to
 * output row t and is copied into the state after the last unit. */
#include "kws_lstm_s16.h"

/* Unit k's four gate sums (a kws_lstm_s16_sums_fn): one pass over each row
 * for all four gates, in locals (sums through the array parameters went to
 * memory on every product). */
static void gate_sums(const kws_lstm_s16_params_t *p, const int16_t *x, const int16_t *hidden, int32_t k,
                      int64_t ax[4], int64_t ah[4])
{
    const int32_t n_in = p->input_size;
    const int32_t units = p->units;
    const size_t in_gate = (size_t)units * (size_t)n_in;
    const size_t rec_gate = (size_t)units * (size_t)units;
    const int8_t *wx = p->w_in + (size_t)k * (size_t)n_in;
    const int8_t *wh = p->w_rec + (size_t)k * (size_t)units;
    int64_t s0 = ax[0], s1 = ax[1], s2 = ax[2], s3 = ax[3];
    int32_t j;
    for (j = 0; j < n_in; ++j) {
        const int32_t xv = x[j];
        s0 += wx[j] * xv;
        s1 += wx[in_gate + j] * xv;
        s2 += wx[2 * in_gate + j] * xv;
        s3 += wx[3 * in_gate + j] * xv;
    }
    ax[0] = s0;
    ax[1] = s1;
    ax[2] = s2;
    ax[3] = s3;
    s0 = ah[0];
    s1 = ah[1];
    s2 = ah[2];
    s3 = ah[3];
    for (j = 0; j < units; ++j) {
        const int32_t hv = hidden[j];
        s0 += wh[j] * hv;
        s1 += wh[rec_gate + j] * hv;
        s2 += wh[2 * rec_gate + j] * hv;
        s3 += wh[3 * rec_gate + j] * hv;
    }
    ah[0] = s0;
    ah[1] = s1;
    ah[2] = s2;
    ah[3] = s3;
}

void kws_lstm_s16(const kws_lstm_s16_params_t *p, const void *input, void *hidden, void *cell, void *output)
{
    kws_lstm_s16_with(p, input, hidden, cell, output, gate_sums);
}
