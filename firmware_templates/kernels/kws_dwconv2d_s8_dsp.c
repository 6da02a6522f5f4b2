/* DEPTHWISE_CONV_2D, int8, for cores with the DSP extension: depth
 * multiplier 1 and a multiple of 4 channels (the generator keeps other
 * shapes on kws_dwconv2d_s8.c).
 *
 * NHWC puts four neighbouring channels of one tap in one word; SXTB16 and
 * SXTB16 ROR #8 unpack it to 16-bit lanes (c0, c2) and (c1, c3), and the host
 * stores the weights of those four channels of that tap as the same two
 * words of 16-bit lanes, a group's taps one after the other
 * (generator/model/ops/dsp.py, halfword_pairs; the
 * parameter block's int8 pointer names these words). SMLABB / SMLATT then
 * multiply-accumulate lane by lane: four channels a tap in 3 loads, 2
 * unpacks and 4 MACs. For each output pixel a
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

/* acc[0..3] += the four channels of one tap; wptr: its two weight words */
#define KWS_DW_TAP(ptr, wptr)                                  \
    do {                                                       \
        const uint32_t x_ = kws_read_u32(ptr);                 \
        const uint32_t wl_ = (wptr)[0];                        \
        const uint32_t wh_ = (wptr)[1];                        \
        const uint32_t xl_ = kws_sxtb16(x_);                   \
        const uint32_t xh_ = kws_sxtb16_ror8(x_);              \
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
    const int32_t k_zp = 1 + 2 * p->rq.out_zp; /* see kws_requantize_dsp */
    const int32_t act_min = p->rq.act_min;
    const int32_t act_max = p->rq.act_max;
    const int nine = taps == 9;
    const uint32_t *const weights = (const uint32_t *)(const void *)p->weights;
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
                    const uint32_t *w = weights + (c >> 1) * taps; /* the group's taps */
                    int32_t a0 = bias[0];
                    int32_t a1 = bias[1];
                    int32_t a2 = bias[2];
                    int32_t a3 = bias[3];
                    if (nine) { /* 3x3, unrolled */
                        KWS_DW_TAP(tap[0] + c, w);
                        KWS_DW_TAP(tap[1] + c, w + 2);
                        KWS_DW_TAP(tap[2] + c, w + 4);
                        KWS_DW_TAP(tap[3] + c, w + 6);
                        KWS_DW_TAP(tap[4] + c, w + 8);
                        KWS_DW_TAP(tap[5] + c, w + 10);
                        KWS_DW_TAP(tap[6] + c, w + 12);
                        KWS_DW_TAP(tap[7] + c, w + 14);
                        KWS_DW_TAP(tap[8] + c, w + 16);
                    } else {
                        for (t = 0; t < taps; ++t, w += 2) {
                            KWS_DW_TAP(tap[t] + c, w);
                        }
                    }
                    {
                        /* loaded before the stores, which could alias them */
                        const int32_t m0 = mult[0];
                        const int32_t m1 = mult[mstride];
                        const int32_t m2 = mult[2 * mstride];
                        const int32_t m3 = mult[3 * mstride];
                        const int s0 = shift[0];
                        const int s1 = shift[mstride];
                        const int s2 = shift[2 * mstride];
                        const int s3 = shift[3 * mstride];
                        output[c] = kws_requantize_dsp(a0, m0, s0, k_zp, act_min, act_max);
                        output[c + 1] = kws_requantize_dsp(a1, m1, s1, k_zp, act_min, act_max);
                        output[c + 2] = kws_requantize_dsp(a2, m2, s2, k_zp, act_min, act_max);
                        output[c + 3] = kws_requantize_dsp(a3, m3, s3, k_zp, act_min, act_max);
                    }
                    mult += 4 * mstride;
                    shift += 4 * mstride;
                }
            }
        }
    }
}
