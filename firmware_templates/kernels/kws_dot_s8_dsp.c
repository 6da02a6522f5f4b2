/* Widened columns times int8 weight rows with SMLAD: see kws_dot_s8_dsp.h. */
#include "kws_dot_s8_dsp.h"
#include "kws_simd.h"

void kws_dot2_channels_dsp(const kws_dot_ctx_t *ctx, const uint32_t *q, int8_t *out_a, int8_t *out_b)
{
    /* locals: the int8 stores could otherwise alias *ctx */
    const int depth = ctx->depth;
    const int groups = depth >> 2;
    const int mstride = ctx->mstride;
    const int32_t out_zp = ctx->out_zp;
    const int32_t act_min = ctx->act_min;
    const int32_t act_max = ctx->act_max;
    const int32_t *bias = ctx->bias;
    const int32_t *mult = ctx->mult;
    const int8_t *shift = ctx->shift;
    const int8_t *w0 = ctx->weights;
    int n = ctx->channels;

    /* two channels by two columns: 4 accumulators, 4 column words and one
     * unpacked weight word fit the 13 free registers; 8 SMLAD per 4 loads */
    for (; n >= 2; n -= 2, bias += 2, out_a += 2, out_b += 2, w0 += 2 * depth) {
        const int8_t *wa = w0;
        const int8_t *wb = w0 + depth;
        const uint32_t *x = q;
        int32_t a0 = bias[0];
        int32_t a1 = a0;
        int32_t b0 = bias[1];
        int32_t b1 = b0;
        int k;
        for (k = groups; k > 0; --k, x += 4, wa += 4, wb += 4) {
            const uint32_t x0l = x[0];
            const uint32_t x0h = x[1];
            const uint32_t x1l = x[2];
            const uint32_t x1h = x[3];
            uint32_t w = kws_read_u32(wa);
            uint32_t wl = kws_sxtb16(w);
            uint32_t wh = kws_sxtb16_ror8(w);
            a0 = kws_smlad(wl, x0l, a0);
            a1 = kws_smlad(wl, x1l, a1);
            a0 = kws_smlad(wh, x0h, a0);
            a1 = kws_smlad(wh, x1h, a1);
            w = kws_read_u32(wb);
            wl = kws_sxtb16(w);
            wh = kws_sxtb16_ror8(w);
            b0 = kws_smlad(wl, x0l, b0);
            b1 = kws_smlad(wl, x1l, b1);
            b0 = kws_smlad(wh, x0h, b0);
            b1 = kws_smlad(wh, x1h, b1);
        }
        out_a[0] = kws_requantize_dsp(a0, *mult, *shift, out_zp, act_min, act_max);
        out_b[0] = kws_requantize_dsp(a1, *mult, *shift, out_zp, act_min, act_max);
        mult += mstride;
        shift += mstride;
        out_a[1] = kws_requantize_dsp(b0, *mult, *shift, out_zp, act_min, act_max);
        out_b[1] = kws_requantize_dsp(b1, *mult, *shift, out_zp, act_min, act_max);
        mult += mstride;
        shift += mstride;
    }
    if (n > 0) {
        const int8_t *wa = w0;
        const uint32_t *x = q;
        int32_t a0 = bias[0];
        int32_t a1 = a0;
        int k;
        for (k = groups; k > 0; --k, x += 4, wa += 4) {
            const uint32_t w = kws_read_u32(wa);
            const uint32_t wl = kws_sxtb16(w);
            const uint32_t wh = kws_sxtb16_ror8(w);
            a0 = kws_smlad(wl, x[0], a0);
            a1 = kws_smlad(wl, x[2], a1);
            a0 = kws_smlad(wh, x[1], a0);
            a1 = kws_smlad(wh, x[3], a1);
        }
        out_a[0] = kws_requantize_dsp(a0, *mult, *shift, out_zp, act_min, act_max);
        out_b[0] = kws_requantize_dsp(a1, *mult, *shift, out_zp, act_min, act_max);
    }
}

void kws_dot1_channels_dsp(const kws_dot_ctx_t *ctx, const int8_t *src, int n_src, int8_t *out)
{
    const int whole = n_src >> 2;
    const int rest = n_src & 3;
    const int depth = ctx->depth;
    const int mstride = ctx->mstride;
    const int32_t out_zp = ctx->out_zp;
    const int32_t act_min = ctx->act_min;
    const int32_t act_max = ctx->act_max;
    const int32_t *bias = ctx->bias;
    const int32_t *mult = ctx->mult;
    const int8_t *shift = ctx->shift;
    const int8_t *w0 = ctx->weights;
    const uint32_t last = rest ? kws_tail_word(src + 4 * whole, rest) : 0u;
    const uint32_t last_l = kws_sxtb16(last);
    const uint32_t last_h = kws_sxtb16_ror8(last);
    int n = ctx->channels;

    /* the column is unpacked on the fly (no scratch: a fully connected
     * layer's input can be large), shared by two weight rows */
    for (; n >= 2; n -= 2, bias += 2, out += 2, w0 += 2 * depth) {
        const int8_t *wa = w0;
        const int8_t *wb = w0 + depth;
        const int8_t *x = src;
        int32_t a = bias[0];
        int32_t b = bias[1];
        uint32_t u;
        uint32_t v;
        int k;
        for (k = whole; k > 0; --k, x += 4, wa += 4, wb += 4) {
            const uint32_t xw = kws_read_u32(x);
            const uint32_t xl = kws_sxtb16(xw);
            const uint32_t xh = kws_sxtb16_ror8(xw);
            u = kws_read_u32(wa);
            v = kws_read_u32(wb);
            a = kws_smlad(kws_sxtb16(u), xl, a);
            a = kws_smlad(kws_sxtb16_ror8(u), xh, a);
            b = kws_smlad(kws_sxtb16(v), xl, b);
            b = kws_smlad(kws_sxtb16_ror8(v), xh, b);
        }
        if (rest) {
            u = kws_read_u32(wa);
            v = kws_read_u32(wb);
            a = kws_smlad(kws_sxtb16(u), last_l, a);
            a = kws_smlad(kws_sxtb16_ror8(u), last_h, a);
            b = kws_smlad(kws_sxtb16(v), last_l, b);
            b = kws_smlad(kws_sxtb16_ror8(v), last_h, b);
        }
        out[0] = kws_requantize_dsp(a, *mult, *shift, out_zp, act_min, act_max);
        mult += mstride;
        shift += mstride;
        out[1] = kws_requantize_dsp(b, *mult, *shift, out_zp, act_min, act_max);
        mult += mstride;
        shift += mstride;
    }
    if (n > 0) {
        const int8_t *wa = w0;
        const int8_t *x = src;
        int32_t a = bias[0];
        uint32_t u;
        int k;
        for (k = whole; k > 0; --k, x += 4, wa += 4) {
            const uint32_t xw = kws_read_u32(x);
            u = kws_read_u32(wa);
            a = kws_smlad(kws_sxtb16(u), kws_sxtb16(xw), a);
            a = kws_smlad(kws_sxtb16_ror8(u), kws_sxtb16_ror8(xw), a);
        }
        if (rest) {
            u = kws_read_u32(wa);
            a = kws_smlad(kws_sxtb16(u), last_l, a);
            a = kws_smlad(kws_sxtb16_ror8(u), last_h, a);
        }
        out[0] = kws_requantize_dsp(a, *mult, *shift, out_zp, act_min, act_max);
    }
}

void kws_dot1w_channels_dsp(const kws_dot_ctx_t *ctx, const uint32_t *q, int8_t *out)
{
    const int depth = ctx->depth;
    const int groups = depth >> 2;
    const int mstride = ctx->mstride;
    const int32_t *bias = ctx->bias;
    const int32_t *mult = ctx->mult;
    const int8_t *shift = ctx->shift;
    const int8_t *w = ctx->weights;
    int c;

    for (c = 0; c < ctx->channels; ++c, w += depth, mult += mstride, shift += mstride) {
        const uint32_t *x = q;
        const int8_t *wa = w;
        int32_t a = bias[c];
        int k;
        for (k = groups; k > 0; --k, x += 2, wa += 4) {
            const uint32_t u = kws_read_u32(wa);
            a = kws_smlad(kws_sxtb16(u), x[0], a);
            a = kws_smlad(kws_sxtb16_ror8(u), x[1], a);
        }
        out[c] = kws_requantize_dsp(a, *mult, *shift, ctx->out_zp, ctx->act_min, ctx->act_max);
    }
}
