/* CONV_2D, int16 activations and int8 weights (16x8 models), portable C99,
 * bit-exact with TFLite Micro's reference kernel.
 *
 * Every output channel of a pixel is one 64-bit dot product over the taps of
 * its window that land in the image (kws_tap_span), so zero padding costs
 * nothing and needs no scratch. With one group and no horizontal dilation,
 * the taps of a kernel row are adjacent in the input and in the weights and
 * are summed as one run. Products are at most 127 * 32768 in magnitude, so
 * each fits int32 and only the sum needs 64 bits. */
#include "kws_conv_s16.h"

static int64_t dot_s16(const int16_t *x, const int8_t *w, int n)
{
    int64_t acc = 0;
    int i;
    for (i = 0; i < n; ++i) {
        acc += (int32_t)x[i] * (int32_t)w[i];
    }
    return acc;
}

/* One output channel at one pixel: x is the image at the channel's group,
 * w the channel's weights, (iy0, ix0) the window's origin; only the taps in
 * the spans are read, so no pointer outside the image is formed. */
static int64_t window_dot(const kws_conv2d_s16_params_t *p, const int16_t *x, const int8_t *w, int iy0, int ix0,
                          kws_span_t ys, kws_span_t xs)
{
    const int in_c = p->in_c;
    const int cin_g = in_c / p->groups;
    const int runs = p->groups == 1 && p->dil_w == 1;
    int64_t acc = 0;
    int ky;
    int kx;
    for (ky = ys.t0; ky < ys.t1; ++ky) {
        const int16_t *xr = x + (size_t)(iy0 + ky * p->dil_h) * (size_t)p->in_w * (size_t)in_c;
        const int8_t *wr = w + ky * p->k_w * cin_g;
        if (runs) {
            if (xs.t0 < xs.t1) {
                acc += dot_s16(xr + (ix0 + xs.t0) * in_c, wr + xs.t0 * cin_g, (xs.t1 - xs.t0) * cin_g);
            }
            continue;
        }
        for (kx = xs.t0; kx < xs.t1; ++kx) {
            acc += dot_s16(xr + (ix0 + kx * p->dil_w) * in_c, wr + kx * cin_g, cin_g);
        }
    }
    return acc;
}

void kws_conv2d_s16(const kws_conv2d_s16_params_t *p, const void *input_v, void *output_v)
{
    const int16_t *input = (const int16_t *)input_v;
    int16_t *out = (int16_t *)output_v;
    const int cin_g = p->in_c / p->groups;
    const int cout_g = p->out_c / p->groups;
    const int depth = p->k_h * p->k_w * cin_g;
    const size_t image_elems = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    int b;
    int oy;
    int ox;
    int oc;

    for (b = 0; b < p->batches; ++b) {
        const int16_t *image = input + (size_t)b * image_elems;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_t;
            const kws_span_t ys = kws_tap_span(iy0, p->k_h, p->dil_h, p->in_h);
            for (ox = 0; ox < p->out_w; ++ox) {
                const int ix0 = ox * p->stride_w - p->pad_l;
                const kws_span_t xs = kws_tap_span(ix0, p->k_w, p->dil_w, p->in_w);
                for (oc = 0; oc < p->out_c; ++oc) {
                    const int64_t acc = window_dot(p, image + (oc / cout_g) * cin_g,
                                                   p->weights + (size_t)oc * (size_t)depth, iy0, ix0, ys, xs);
                    *out++ = kws_requant_s16_out(&p->rq, oc, acc);
                }
            }
        }
    }
}
