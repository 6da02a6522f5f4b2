/* Output channels as dot products, requantized: see kws_dot_s8.h. */
#include "kws_dot_s8.h"
#include "kws_qmath.h"

void kws_dot_channels_s8(const kws_dot_ctx_t *ctx, const int8_t *src, int8_t *out)
{
    /* locals: the int8 stores to out could otherwise alias *ctx */
    const int depth = ctx->depth;
    const int mstride = ctx->mstride;
    const int32_t out_zp = ctx->out_zp;
    const int32_t act_min = ctx->act_min;
    const int32_t act_max = ctx->act_max;
    const int32_t *bias = ctx->bias;
    const int32_t *mult = ctx->mult;
    const int8_t *shift = ctx->shift;
    const int8_t *w0 = ctx->weights;
    int8_t *o = out;
    int n = ctx->channels;

    /* pointers step through the channels: fewer live induction variables
     * than indexing by c, which spilled in the requantization */
    for (; n >= 4; n -= 4, bias += 4, o += 4, w0 += 4 * depth) {
        const int8_t *const w1 = w0 + depth;
        const int8_t *const w2 = w1 + depth;
        const int8_t *const w3 = w2 + depth;
        int32_t acc0 = bias[0];
        int32_t acc1 = bias[1];
        int32_t acc2 = bias[2];
        int32_t acc3 = bias[3];
        int k;
        for (k = 0; k < depth; ++k) {
            const int32_t x = src[k];
            acc0 += w0[k] * x;
            acc1 += w1[k] * x;
            acc2 += w2[k] * x;
            acc3 += w3[k] * x;
        }
        o[0] = kws_requantize_s8(acc0, *mult, *shift, out_zp, act_min, act_max);
        mult += mstride;
        shift += mstride;
        o[1] = kws_requantize_s8(acc1, *mult, *shift, out_zp, act_min, act_max);
        mult += mstride;
        shift += mstride;
        o[2] = kws_requantize_s8(acc2, *mult, *shift, out_zp, act_min, act_max);
        mult += mstride;
        shift += mstride;
        o[3] = kws_requantize_s8(acc3, *mult, *shift, out_zp, act_min, act_max);
        mult += mstride;
        shift += mstride;
    }
    for (; n > 0; --n, ++bias, ++o, w0 += depth, mult += mstride, shift += mstride) {
        int32_t acc0 = *bias;
        int k;
        for (k = 0; k < depth; ++k) {
            acc0 += w0[k] * (int32_t)src[k];
        }
        *o = kws_requantize_s8(acc0, *mult, *shift, out_zp, act_min, act_max);
    }
}
