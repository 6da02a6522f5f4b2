/* Output channels as dot products, requantized: see kws_dot_s8.h. */
#include "kws_dot_s8.h"
#include "kws_qmath.h"

void kws_dot_channels_s8(const kws_requant_t *rq, const int8_t *weights, const int8_t *src, int depth,
                         int c_begin, int c_end, int8_t *out)
{
    /* locals: the int8 stores to out could otherwise alias *rq */
    const int32_t *const bias = rq->bias;
    const int32_t *const mults = rq->mult;
    const int8_t *const shifts = rq->shift;
    const int mstride = rq->mult_stride;
    const int32_t out_zp = rq->out_zp;
    const int32_t act_min = rq->act_min;
    const int32_t act_max = rq->act_max;
    int c = c_begin;

    for (; c + 3 < c_end; c += 4) {
        const int8_t *w0 = weights + (size_t)c * (size_t)depth;
        const int8_t *w1 = w0 + depth;
        const int8_t *w2 = w1 + depth;
        const int8_t *w3 = w2 + depth;
        int32_t acc0 = bias[c];
        int32_t acc1 = bias[c + 1];
        int32_t acc2 = bias[c + 2];
        int32_t acc3 = bias[c + 3];
        int k;
        for (k = 0; k < depth; ++k) {
            const int32_t x = src[k];
            acc0 += w0[k] * x;
            acc1 += w1[k] * x;
            acc2 += w2[k] * x;
            acc3 += w3[k] * x;
        }
        out[c] = kws_requantize_s8(acc0, mults[c * mstride], shifts[c * mstride], out_zp, act_min, act_max);
        out[c + 1] = kws_requantize_s8(acc1, mults[(c + 1) * mstride], shifts[(c + 1) * mstride], out_zp,
                                       act_min, act_max);
        out[c + 2] = kws_requantize_s8(acc2, mults[(c + 2) * mstride], shifts[(c + 2) * mstride], out_zp,
                                       act_min, act_max);
        out[c + 3] = kws_requantize_s8(acc3, mults[(c + 3) * mstride], shifts[(c + 3) * mstride], out_zp,
                                       act_min, act_max);
    }
    for (; c < c_end; ++c) {
        const int8_t *w0 = weights + (size_t)c * (size_t)depth;
        int32_t acc0 = bias[c];
        int k;
        for (k = 0; k < depth; ++k) {
            acc0 += w0[k] * (int32_t)src[k];
        }
        out[c] = kws_requantize_s8(acc0, mults[c * mstride], shifts[c * mstride], out_zp, act_min, act_max);
    }
}
