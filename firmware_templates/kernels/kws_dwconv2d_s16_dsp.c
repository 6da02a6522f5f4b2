/* DEPTHWISE_CONV_2D, int16 activations and int8 weights (16x8 models), for
 * cores with the DSP extension: depth multiplier 1 and channels in whole
 * groups of four (the generator keeps other shapes on kws_dwconv2d_s16.c).
 *
 * Four channels at a time: a tap's four int16 inputs are two words of
 * 16-bit lanes, and the host widened the four weights of that tap to two
 * words the same way (generator/model/ops/conv.py, depthwise_conv_2d_s16_dsp:
 * words [channel group][tap][2]), so SMLABB and SMLATT multiply each lane by
 * its own weight, four products per two loads of input and one of weights.
 * Taps outside the image are skipped, as in the reference. A window has at
 * most KWS_S16_CHUNK taps (the generator checks), so each int32 sum is exact:
 * the portable kernel's (and the reference's) int64 sum.
 *
 * The walk over the pixels is the portable kernel's (kws_dwconv2d_s16_with).
 * Write order: a pixel's four channels are read before the first is written
 * (earlier than in the portable order, which the memory plan allows). */
#include "kws_conv_s16.h"
#include "kws_dot_s16_dsp.h"

/* The pixel's channels four at a time (a kws_dw_s16_pixel_fn). */
static int16_t *pixel(const kws_dwconv2d_s16_params_t *p, const int16_t *image, int iy0, int ix0, kws_span_t ys,
                      kws_span_t xs, int16_t *out)
{
    const uint32_t *weights = (const uint32_t *)(const void *)p->weights; /* int32 words in model.c */
    const int in_c = p->in_c;
    const int k_w = p->k_w;
    const int taps = p->k_h * k_w;
    const size_t row_elems = (size_t)p->in_w * (size_t)in_c;
    const int x_step = p->dil_w * in_c;
    const int n = xs.t1 - xs.t0;
    /* the window's first tap column in the image, channel 0 */
    const int16_t *x0 = image + (size_t)(ix0 + xs.t0 * p->dil_w) * (size_t)in_c;
    int q;
    int ky;
    int kx;
    for (q = 0; q < in_c; q += 4, out += 4) {
        const uint32_t *wq = weights + (size_t)(q >> 2) * (size_t)taps * 2u + 2 * xs.t0;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (ky = ys.t0; ky < ys.t1 && n > 0; ++ky) {
            const int16_t *xr = x0 + (size_t)(iy0 + ky * p->dil_h) * row_elems + q;
            const uint32_t *wr = wq + 2 * ky * k_w;
            for (kx = n; kx > 0; --kx, xr += x_step, wr += 2) {
                const uint32_t lo = kws_read_u32(xr);
                const uint32_t hi = kws_read_u32(xr + 2);
                const uint32_t w01 = wr[0];
                const uint32_t w23 = wr[1];
                a0 = kws_smlabb(lo, w01, a0);
                a1 = kws_smlatt(lo, w01, a1);
                a2 = kws_smlabb(hi, w23, a2);
                a3 = kws_smlatt(hi, w23, a3);
            }
        }
        out[0] = kws_requant_s16_dsp(&p->rq, q, a0);
        out[1] = kws_requant_s16_dsp(&p->rq, q + 1, a1);
        out[2] = kws_requant_s16_dsp(&p->rq, q + 2, a2);
        out[3] = kws_requant_s16_dsp(&p->rq, q + 3, a3);
    }
    return out;
}

void kws_dwconv2d_s16_dsp(const kws_dwconv2d_s16_params_t *p, const void *input, void *output)
{
    kws_dwconv2d_s16_with(p, input, output, pixel);
}
