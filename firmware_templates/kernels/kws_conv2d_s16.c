/* CONV_2D, int16 activations and int8 weights (16x8 models), portable C99,
 * bit-exact with TFLite Micro's reference kernel.
 *
 * Each output channel of a pixel is a dot product over the taps of its
 * window that land in the image (kws_tap_span), so zero padding costs
 * nothing and needs no scratch. With one group and no horizontal dilation,
 * the taps of a kernel row are adjacent in the input and in the weights and
 * are summed as one run. Four channels of a group are computed per pass, so
 * each input value is loaded once for four products; sums are exact (int32
 * chunks widened to the reference's int64, kws_dot4_s16). */
#include "kws_conv_s16.h"

/* Output channels oc .. oc + n - 1 (n is 1 or 4, one group) at one pixel:
 * x is the image at the channels' group, w the first channel's weights,
 * (iy0, ix0) the window's origin; only the taps in the spans are read, so no
 * pointer outside the image is formed. */
static void window_dots(const kws_conv2d_s16_params_t *p, const int16_t *x, const int8_t *w, int n, int iy0,
                        int ix0, kws_span_t ys, kws_span_t xs, int64_t acc[4])
{
    const int in_c = p->in_c;
    const int cin_g = in_c / p->groups;
    const int depth = p->k_h * p->k_w * cin_g;
    /* a run: taps from several kernel columns in one contiguous stretch */
    const int run_taps = p->groups == 1 && p->dil_w == 1 ? xs.t1 - xs.t0 : 1;
    int ky;
    int kx;
    acc[0] = acc[1] = acc[2] = acc[3] = 0;
    for (ky = ys.t0; ky < ys.t1; ++ky) {
        const int16_t *xr = x + (size_t)(iy0 + ky * p->dil_h) * (size_t)p->in_w * (size_t)in_c;
        const int8_t *wr = w + ky * p->k_w * cin_g;
        for (kx = xs.t0; kx < xs.t1; kx += run_taps) {
            const int16_t *xv = xr + (ix0 + kx * p->dil_w) * in_c;
            const int len = run_taps * cin_g;
            if (n == 4) {
                kws_dot4_s16(acc, xv, wr + kx * cin_g, depth, len);
            } else {
                acc[0] = kws_dot_s16(acc[0], xv, 1, wr + kx * cin_g, len);
            }
        }
    }
}

void kws_conv2d_s16(const kws_conv2d_s16_params_t *p, const void *input_v, void *output_v)
{
    const int16_t *input = (const int16_t *)input_v;
    int16_t *out = (int16_t *)output_v;
    const int cin_g = p->in_c / p->groups;
    const int cout_g = p->out_c / p->groups;
    const int depth = p->k_h * p->k_w * cin_g;
    const size_t image_elems = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    int64_t acc[4];
    int b;
    int oy;
    int ox;
    int oc;
    int k;

    for (b = 0; b < p->batches; ++b) {
        const int16_t *image = input + (size_t)b * image_elems;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_t;
            const kws_span_t ys = kws_tap_span(iy0, p->k_h, p->dil_h, p->in_h);
            for (ox = 0; ox < p->out_w; ++ox) {
                const int ix0 = ox * p->stride_w - p->pad_l;
                const kws_span_t xs = kws_tap_span(ix0, p->k_w, p->dil_w, p->in_w);
                for (oc = 0; oc < p->out_c;) {
                    /* four channels at a time while they stay in one group */
                    const int n = oc % cout_g + 4 <= cout_g ? 4 : 1;
                    window_dots(p, image + (oc / cout_g) * cin_g, p->weights + (size_t)oc * (size_t)depth, n, iy0,
                                ix0, ys, xs, acc);
                    for (k = 0; k < n; ++k, ++oc) {
                        *out++ = kws_requant_s16_out(&p->rq, oc, acc[k]);
                    }
                }
            }
        }
    }
}
