/* DEPTHWISE_CONV_2D, int16 activations and int8 weights (16x8 models),
 * portable C99, any depth multiplier, bit-exact with TFLite Micro's
 * reference kernel. Each output channel sums the taps of its window that
 * land in the image (kws_tap_span; padding taps are skipped), exactly: in
 * int32 for windows of at most KWS_S16_CHUNK taps, else in int32 chunks
 * widened to the reference's int64. */
#include "kws_conv_s16.h"

/* Output channel oc at one pixel: x is the image at the channel's input
 * channel, w the channel's taps [k_h][k_w]. A window of at most
 * KWS_S16_CHUNK taps (any real one) sums in int32 without overflow; a larger
 * one sums row by row through kws_dot_s16's exact chunks. */
static int64_t channel_dot(const kws_dwconv2d_s16_params_t *p, const int16_t *x, const int8_t *w, int iy0, int ix0,
                           kws_span_t ys, kws_span_t xs)
{
    const size_t row_elems = (size_t)p->in_w * (size_t)p->in_c;
    const int x_step = p->dil_w * p->in_c;
    const int n = xs.t1 - xs.t0;
    int64_t acc = 0;
    int32_t part = 0;
    int ky;
    int kx;
    if (n <= 0) {
        return 0;
    }
    x += (ix0 + xs.t0 * p->dil_w) * p->in_c;
    w += xs.t0;
    for (ky = ys.t0; ky < ys.t1; ++ky) {
        const int16_t *xr = x + (size_t)(iy0 + ky * p->dil_h) * row_elems;
        const int8_t *wr = w + ky * p->k_w;
        if (p->k_h * p->k_w > KWS_S16_CHUNK) {
            acc = kws_dot_s16(acc, xr, x_step, wr, n);
            continue;
        }
        for (kx = 0; kx < n; ++kx) {
            part += (int32_t)wr[kx] * (int32_t)xr[kx * x_step];
        }
    }
    return acc + part;
}

/* Every output channel of one pixel (a kws_dw_s16_pixel_fn). */
static int16_t *pixel(const kws_dwconv2d_s16_params_t *p, const int16_t *image, int iy0, int ix0, kws_span_t ys,
                      kws_span_t xs, int16_t *out)
{
    const int taps = p->k_h * p->k_w;
    const int out_c = p->in_c * p->depth_mult;
    int oc;
    for (oc = 0; oc < out_c; ++oc) {
        const int64_t acc = channel_dot(p, image + oc / p->depth_mult, p->weights + (size_t)oc * (size_t)taps,
                                        iy0, ix0, ys, xs);
        *out++ = kws_requant_s16_out(&p->rq, oc, acc);
    }
    return out;
}

void kws_dwconv2d_s16_with(const kws_dwconv2d_s16_params_t *p, const void *input_v, void *output_v,
                           kws_dw_s16_pixel_fn pixel_fn)
{
    const int16_t *input = (const int16_t *)input_v;
    int16_t *out = (int16_t *)output_v;
    const size_t image_elems = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    int b;
    int oy;
    int ox;

    for (b = 0; b < p->batches; ++b) {
        const int16_t *image = input + (size_t)b * image_elems;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_t;
            const kws_span_t ys = kws_tap_span(iy0, p->k_h, p->dil_h, p->in_h);
            for (ox = 0; ox < p->out_w; ++ox) {
                const int ix0 = ox * p->stride_w - p->pad_l;
                out = pixel_fn(p, image, iy0, ix0, ys, kws_tap_span(ix0, p->k_w, p->dil_w, p->in_w), out);
            }
        }
    }
}

void kws_dwconv2d_s16(const kws_dwconv2d_s16_params_t *p, const void *input, void *output)
{
    kws_dwconv2d_s16_with(p, input, output, pixel);
}
