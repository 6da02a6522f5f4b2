/* DEPTHWISE_CONV_2D, int8, for cores with the DSP extension: depth
 * multiplier 1 and a multiple of 4 channels (the generator keeps other
 * shapes on kws_dwconv2d_s8.c).
 *
 * NHWC puts four neighbouring channels of one tap in one word, and the
 * weights are laid out [tap][channel] on the host (generator/model/ops/dsp.py)
 * so their four weights of that tap are one word too. SXTB16 unpacks both to
 * 16-bit lanes and SMLABB / SMLATT multiply-accumulate lane by lane: four
 * channels a tap in 2 loads, 4 unpacks and 4 MACs. For each output pixel a
 * table points every tap at its input pixel, or, outside the image, at a
 * scratch row of in_c bytes of the input zero point (which the folded bias
 * turns into exact zeros), so border pixels take the same path as the rest.
 * Scratch: in_c bytes.
 *
 * Write order (kws_kernels.h): a group of four channels reads all of its
 * taps before writing its four outputs, in increasing address order, so no
 * input byte is read later than in the portable kernel's order. */
#include <string.h>

#include "kws_conv_s8.h"
#include "kws_simd.h"

#ifndef KWS_DW_MAX_TAPS
#define KWS_DW_MAX_TAPS 64
#endif

/* acc[0..3] += the four channels of one tap */
#define KWS_DW_TAP(ptr, wptr)                                  \
    do {                                                       \
        const uint32_t x_ = kws_read_u32(ptr);                 \
        const uint32_t w_ = kws_read_u32(wptr);                \
        const uint32_t xl_ = kws_sxtb16(x_);                   \
        const uint32_t wl_ = kws_sxtb16(w_);                   \
        const uint32_t xh_ = kws_sxtb16_ror8(x_);              \
        const uint32_t wh_ = kws_sxtb16_ror8(w_);              \
        a0 = kws_smlabb(xl_, wl_, a0);                         \
        a2 = kws_smlatt(xl_, wl_, a2);                         \
        a1 = kws_smlabb(xh_, wh_, a1);                         \
        a3 = kws_smlatt(xh_, wh_, a3);                         \
    } while (0)

void kws_dwconv2d_s8_dsp(const kws_dwconv2d_params_t *p, const int8_t *input, int8_t *output,
                         int8_t *scratch)
{
    const int in_h = p->in_h;
    const int in_w = p->in_w;
    const int in_c = p->in_c;
    const int k_h = p->k_h;
    const int k_w = p->k_w;
    const int taps = k_h * k_w;
    const int image_elems = in_h * in_w * in_c;
    const int mstride = p->rq.mult_stride;
    const int32_t out_zp = p->rq.out_zp;
    const int32_t act_min = p->rq.act_min;
    const int32_t act_max = p->rq.act_max;
    const int nine = taps == 9;
    const int8_t *tap[KWS_DW_MAX_TAPS];
    int b;
    int oy;
    int ox;

    memset(scratch, p->in_zp, (size_t)in_c);
    for (b = 0; b < p->batches; ++b) {
        const int8_t *const image = input + (size_t)b * (size_t)image_elems;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_t;
            for (ox = 0; ox < p->out_w; ++ox, output += in_c) {
                const int ix0 = ox * p->stride_w - p->pad_l;
                const int32_t *bias = p->rq.bias;
                const int32_t *mult = p->rq.mult;
                const int8_t *shift = p->rq.shift;
                int t = 0;
                int ky;
                int kx;
                int c;
                for (ky = 0; ky < k_h; ++ky) {
                    const int iy = iy0 + ky * p->dil_h;
                    for (kx = 0; kx < k_w; ++kx, ++t) {
                        const int ix = ix0 + kx * p->dil_w;
                        tap[t] = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w
                                     ? image + (iy * in_w + ix) * in_c
                                     : scratch;
                    }
                }
                for (c = 0; c < in_c; c += 4, bias += 4) {
                    const int8_t *w = p->weights + c;
                    int32_t a0 = bias[0];
                    int32_t a1 = bias[1];
                    int32_t a2 = bias[2];
                    int32_t a3 = bias[3];
                    if (nine) { /* 3x3, unrolled */
                        KWS_DW_TAP(tap[0] + c, w);
                        KWS_DW_TAP(tap[1] + c, w + in_c);
                        KWS_DW_TAP(tap[2] + c, w + 2 * in_c);
                        KWS_DW_TAP(tap[3] + c, w + 3 * in_c);
                        KWS_DW_TAP(tap[4] + c, w + 4 * in_c);
                        KWS_DW_TAP(tap[5] + c, w + 5 * in_c);
                        KWS_DW_TAP(tap[6] + c, w + 6 * in_c);
                        KWS_DW_TAP(tap[7] + c, w + 7 * in_c);
                        KWS_DW_TAP(tap[8] + c, w + 8 * in_c);
                    } else {
                        for (t = 0; t < taps; ++t, w += in_c) {
                            KWS_DW_TAP(tap[t] + c, w);
                        }
                    }
                    output[c] = kws_requantize_dsp(a0, *mult, *shift, out_zp, act_min, act_max);
                    mult += mstride;
                    shift += mstride;
                    output[c + 1] = kws_requantize_dsp(a1, *mult, *shift, out_zp, act_min, act_max);
                    mult += mstride;
                    shift += mstride;
                    output[c + 2] = kws_requantize_dsp(a2, *mult, *shift, out_zp, act_min, act_max);
                    mult += mstride;
                    shift += mstride;
                    output[c + 3] = kws_requantize_dsp(a3, *mult, *shift, out_zp, act_min, act_max);
                    mult += mstride;
                    shift += mstride;
                }
            }
        }
    }
}
