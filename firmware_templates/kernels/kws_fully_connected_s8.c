/* FULLY_CONNECTED, int8, portable C99.
 *
 * Each output is one contiguous dot product of the input row with a weight
 * row; four outputs are computed per pass to share the input loads. The bias
 * is folded (bias - in_zp * sum(weights)) so the inner loop is a bare MAC. */
#include "kws_kernels.h"
#include "kws_qmath.h"

void kws_fully_connected_s8(const kws_fc_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t batches = p->batches;
    const int32_t depth = p->depth;
    const int32_t out_c = p->out_c;
    const int mstride = p->mult_stride;
    const int32_t out_zp = p->out_zp;
    const int32_t act_min = p->act_min;
    const int32_t act_max = p->act_max;
    const int8_t *const weights = p->weights;
    const int32_t *const bias = p->bias;
    const int32_t *const mults = p->mult;
    const int8_t *const shifts = p->shift;
    int32_t b;

    for (b = 0; b < batches; ++b) {
        const int8_t *const x = input + (size_t)b * (size_t)depth;
        int32_t c = 0;
        for (; c + 3 < out_c; c += 4) {
            const int8_t *w0 = weights + (size_t)c * (size_t)depth;
            const int8_t *w1 = w0 + depth;
            const int8_t *w2 = w1 + depth;
            const int8_t *w3 = w2 + depth;
            int32_t acc0 = bias[c];
            int32_t acc1 = bias[c + 1];
            int32_t acc2 = bias[c + 2];
            int32_t acc3 = bias[c + 3];
            int32_t k;
            for (k = 0; k < depth; ++k) {
                const int32_t v = x[k];
                acc0 += w0[k] * v;
                acc1 += w1[k] * v;
                acc2 += w2[k] * v;
                acc3 += w3[k] * v;
            }
            output[c] = kws_requantize_s8(acc0, mults[c * mstride], shifts[c * mstride], out_zp, act_min,
                                          act_max);
            output[c + 1] = kws_requantize_s8(acc1, mults[(c + 1) * mstride], shifts[(c + 1) * mstride],
                                              out_zp, act_min, act_max);
            output[c + 2] = kws_requantize_s8(acc2, mults[(c + 2) * mstride], shifts[(c + 2) * mstride],
                                              out_zp, act_min, act_max);
            output[c + 3] = kws_requantize_s8(acc3, mults[(c + 3) * mstride], shifts[(c + 3) * mstride],
                                              out_zp, act_min, act_max);
        }
        for (; c < out_c; ++c) {
            const int8_t *w0 = weights + (size_t)c * (size_t)depth;
            int32_t acc0 = bias[c];
            int32_t k;
            for (k = 0; k < depth; ++k) {
                acc0 += w0[k] * (int32_t)x[k];
            }
            output[c] = kws_requantize_s8(acc0, mults[c * mstride], shifts[c * mstride], out_zp, act_min,
                                          act_max);
        }
        output += out_c;
    }
}
