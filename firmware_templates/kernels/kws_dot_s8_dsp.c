/* Widened columns times int8 weight rows with SMLAD: see kws_dot_s8_dsp.h. */
#include "kws_dot_s8_dsp.h"
#include "kws_simd.h"

/* one group of four depth values, two columns by two channels: 4 LDRD (the
 * columns' and the channels' words of 16-bit lanes), 8 SMLAD; in
 * kws_dot2_channels_dsp, on its locals */
#define KWS_DOT2_GROUP()                               \
    do {                                               \
        uint32_t x0l_;                                 \
        uint32_t x0h_;                                 \
        uint32_t x1l_;                                 \
        uint32_t x1h_;                                 \
        uint32_t wl_;                                  \
        uint32_t wh_;                                  \
        kws_load2(&x, &x0l_, &x0h_);                   \
        kws_load2(&x, &x1l_, &x1h_);                   \
        kws_load2(&wa, &wl_, &wh_);                    \
        a0 = kws_smlad(wl_, x0l_, a0);                 \
        a1 = kws_smlad(wl_, x1l_, a1);                 \
        a0 = kws_smlad(wh_, x0h_, a0);                 \
        a1 = kws_smlad(wh_, x1h_, a1);                 \
        kws_load2(&wb, &wl_, &wh_);                    \
        b0 = kws_smlad(wl_, x0l_, b0);                 \
        b1 = kws_smlad(wl_, x1l_, b1);                 \
        b0 = kws_smlad(wh_, x0h_, b0);                 \
        b1 = kws_smlad(wh_, x1h_, b1);                 \
    } while (0)

void kws_dot2_channels_dsp(const kws_dot_ctx_t *ctx, const uint32_t *q, int8_t *out_a, int8_t *out_b)
{
    /* locals: the int8 stores could otherwise alias *ctx */
    const int depth = ctx->depth;
    const int groups = depth >> 2;
    const int mstride = ctx->mstride;
    const int32_t k_zp = 1 + 2 * ctx->out_zp; /* see kws_requantize_dsp */
    const int32_t act_min = ctx->act_min;
    const int32_t act_max = ctx->act_max;
    const int32_t *bias = ctx->bias;
    const int32_t *mult = ctx->mult;
    const int8_t *shift = ctx->shift;
    const uint32_t *w0 = (const uint32_t *)(const void *)ctx->weights; /* depth / 2 words a row */
    const int row_words = depth >> 1;
    int n = ctx->channels;

    /* two channels by two columns: 4 accumulators, 4 column words and 2
     * weight words fit the 13 free registers; 8 SMLAD per 4 loads */
    for (; n >= 2; n -= 2, bias += 2, out_a += 2, out_b += 2, w0 += 2 * row_words) {
        const uint32_t *wa = w0;
        const uint32_t *wb = w0 + row_words;
        const uint32_t *x = q;
        int32_t a0 = bias[0];
        int32_t a1 = a0;
        int32_t b0 = bias[1];
        int32_t b1 = b0;
        int k;
        /* (unrolled twice, GCC 12 spills in the loop: measured slower) */
        for (k = groups; k > 0; --k) {
            KWS_DOT2_GROUP();
        }
        {
            /* loaded before the stores, which could alias them */
            const int32_t ma = mult[0];
            const int sa = shift[0];
            const int32_t mb = mult[mstride];
            const int sb = shift[mstride];
            out_a[0] = kws_requantize_dsp(a0, ma, sa, k_zp, act_min, act_max);
            out_b[0] = kws_requantize_dsp(a1, ma, sa, k_zp, act_min, act_max);
            out_a[1] = kws_requantize_dsp(b0, mb, sb, k_zp, act_min, act_max);
            out_b[1] = kws_requantize_dsp(b1, mb, sb, k_zp, act_min, act_max);
        }
        mult += 2 * mstride;
        shift += 2 * mstride;
    }
    if (n > 0) {
        const uint32_t *wa = w0;
        const uint32_t *x = q;
        int32_t a0 = bias[0];
        int32_t a1 = a0;
        int k;
        for (k = groups; k > 0; --k, x += 4, wa += 2) {
            a0 = kws_smlad(wa[0], x[0], a0);
            a1 = kws_smlad(wa[0], x[2], a1);
            a0 = kws_smlad(wa[1], x[1], a0);
            a1 = kws_smlad(wa[1], x[3], a1);
        }
        {
            const int32_t ma = mult[0];
            const int sa = shift[0];
            out_a[0] = kws_requantize_dsp(a0, ma, sa, k_zp, act_min, act_max);
            out_b[0] = kws_requantize_dsp(a1, ma, sa, k_zp, act_min, act_max);
        }
    }
}

void kws_dot1_channels_dsp(const kws_dot_ctx_t *ctx, const int8_t *src, int n_src, int8_t *out)
{
    const int whole = n_src >> 2;
    const int rest = n_src & 3;
    const int depth = ctx->depth;
    const int mstride = ctx->mstride;
    const int32_t k_zp = 1 + 2 * ctx->out_zp; /* see kws_requantize_dsp */
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
        {
            const int32_t ma = mult[0];
            const int sa = shift[0];
            const int32_t mb = mult[mstride];
            const int sb = shift[mstride];
            out[0] = kws_requantize_dsp(a, ma, sa, k_zp, act_min, act_max);
            out[1] = kws_requantize_dsp(b, mb, sb, k_zp, act_min, act_max);
        }
        mult += 2 * mstride;
        shift += 2 * mstride;
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
        out[0] = kws_requantize_dsp(a, *mult, *shift, k_zp, act_min, act_max);
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
    const uint32_t *w = (const uint32_t *)(const void *)ctx->weights;
    int c;

    for (c = 0; c < ctx->channels; ++c, mult += mstride, shift += mstride) {
        const uint32_t *x = q;
        int32_t a = bias[c];
        int k;
        for (k = groups; k > 0; --k, x += 2, w += 2) {
            a = kws_smlad(w[0], x[0], a);
            a = kws_smlad(w[1], x[1], a);
        }
        out[c] = kws_requantize_dsp(a, *mult, *shift, 1 + 2 * ctx->out_zp, ctx->act_min, ctx->act_max);
    }
}
