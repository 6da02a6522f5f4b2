/* CONV_2D, int8, for cores with the DSP extension (one group only; the
 * generator keeps grouped convolutions on kws_conv2d_s8.c).
 *
 * Output pixels go in pairs: each pixel's receptive field is widened to
 * 16-bit lanes straight from the image into the scratch, one kernel row at a
 * time, then kws_dot2_channels_dsp computes both pixels' channels, two MACs
 * an SMLAD (see kws_dot_s8_dsp.h); an odd last pixel goes alone. Each kernel
 * row (k_w * in_c bytes) is padded to whole words, and the host lays the
 * weights out the same way (generator/model/ops/conv.py), so no int8 gather
 * is needed: only a kernel row that leaves the image is first assembled in a
 * row of scratch, its outside positions filled with the input zero point
 * (which the folded bias turns into exact zeros).
 * Scratch: 4 * k_h * R bytes for the two widened columns, plus R for the
 * border row unless the kernel is 1x1 without padding, where
 * R = KWS_DSP_DEPTH(k_w * in_c).
 *
 * Write order (kws_kernels.h): both pixels of a pair are read before either
 * is written, and outputs go in increasing address order from pair to pair,
 * so every input byte is read no later than in the portable kernel's order
 * and the memory plan made from that order holds. */
#include <string.h>

#include "kws_conv_s8.h"
#include "kws_dot_s8_dsp.h"

/* Widens the receptive field of output pixel (oy, ox) into q (columns
 * `step` words apart, see kws_widen_s8), row by row. */
static void widen_field(const kws_conv2d_params_t *p, const int8_t *image, int oy, int ox, int8_t *row,
                        uint32_t *q, int step)
{
    const int in_h = p->in_h;
    const int in_w = p->in_w;
    const int in_c = p->in_c;
    const int k_w = p->k_w;
    const int dil_w = p->dil_w;
    const int run = k_w * in_c;
    const int row_words = KWS_DSP_DEPTH(run) >> 2;
    const int iy0 = oy * p->stride_h - p->pad_t;
    const int ix0 = ox * p->stride_w - p->pad_l;
    const int cols_inside = dil_w == 1 && ix0 >= 0 && ix0 + k_w - 1 < in_w;
    int ky;
    int kx;

    for (ky = 0; ky < p->k_h; ++ky, q += row_words * step) {
        const int iy = iy0 + ky * p->dil_h;
        const int row_ok = iy >= 0 && iy < in_h;
        if (row_ok && cols_inside) {
            kws_widen_s8(image + (iy * in_w + ix0) * in_c, run, q, step);
            continue;
        }
        for (kx = 0; kx < k_w; ++kx) {
            const int ix = ix0 + kx * dil_w;
            if (row_ok && ix >= 0 && ix < in_w) {
                memcpy(row + kx * in_c, image + (iy * in_w + ix) * in_c, (size_t)in_c);
            } else {
                memset(row + kx * in_c, p->in_zp, (size_t)in_c);
            }
        }
        kws_widen_s8(row, run, q, step);
    }
}

void kws_conv2d_s8_dsp(const kws_conv2d_params_t *p, const int8_t *input, int8_t *output,
                       int8_t *scratch)
{
    const int out_w = p->out_w;
    const int out_c = p->out_c;
    const int padded = p->k_h * KWS_DSP_DEPTH(p->k_w * p->in_c);
    const int pixels = p->out_h * out_w;
    const int image_elems = p->in_h * p->in_w * p->in_c;
    uint32_t *const q = (uint32_t *)(void *)scratch; /* the arena aligns scratch to 4 */
    int8_t *const row = scratch + 4 * padded;
    kws_dot_ctx_t ctx;
    int b;

    kws_dot_ctx_init(&ctx, &p->rq, p->weights, padded, out_c);
    for (b = 0; b < p->batches; ++b) {
        const int8_t *const image = input + (size_t)b * (size_t)image_elems;
        int oy = 0;
        int ox = 0;
        int i;
        for (i = 0; i + 1 < pixels; i += 2, output += 2 * out_c) {
            widen_field(p, image, oy, ox, row, q, 4);
            if (++ox == out_w) {
                ox = 0;
                ++oy;
            }
            widen_field(p, image, oy, ox, row, q + 2, 4);
            if (++ox == out_w) {
                ox = 0;
                ++oy;
            }
            kws_dot2_channels_dsp(&ctx, q, output, output + out_c);
        }
        if (i < pixels) {
            widen_field(p, image, oy, ox, row, q, 2);
            kws_dot1w_channels_dsp(&ctx, q, output);
            output += out_c;
        }
    }
}
