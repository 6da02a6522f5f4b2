/* CONV_2D, int16 activations and int8 weights (16x8 models), portable C99,
 * bit-exact with TFLite Micro's reference kernel.
 *
 * For every output pixel the receptive field of one group is gathered into
 * `col` as int16 (zero points are 0 in 16x8 models, so taps outside the image
 * are zeros and add nothing, exactly like the taps the reference skips);
 * then every output channel of the group is one dot product over the
 * gathered column, four channels per pass so each value is loaded once for
 * four products. Sums are exact (int32 chunks widened to the reference's
 * int64, kws_dot4_s16). A 1x1 kernel without padding reads the input pixel
 * in place (direct). */
#include "kws_conv_s16.h"

/* The window of group g at origin (iy0, ix0) into col, [k_h][k_w][cin_g],
 * zeros outside the image. */
static void gather(const kws_conv2d_s16_params_t *p, const int16_t *image, int g, int iy0, int ix0, int16_t *col)
{
    const int cin_g = p->in_c / p->groups;
    const size_t tap_bytes = (size_t)cin_g * sizeof(int16_t);
    const kws_span_t ys = kws_tap_span(iy0, p->k_h, p->dil_h, p->in_h);
    const kws_span_t xs = kws_tap_span(ix0, p->k_w, p->dil_w, p->in_w);
    const int inside = xs.t0 < xs.t1 ? xs.t1 - xs.t0 : 0;
    const int adjacent = p->groups == 1 && p->dil_w == 1; /* a row's taps are one run */
    int ky;
    int kx;
    for (ky = 0; ky < p->k_h; ++ky, col += p->k_w * cin_g) {
        const int16_t *row;
        if (ky < ys.t0 || ky >= ys.t1 || inside == 0) {
            memset(col, 0, (size_t)p->k_w * tap_bytes);
            continue;
        }
        row = image + (size_t)(iy0 + ky * p->dil_h) * (size_t)p->in_w * (size_t)p->in_c + g * cin_g;
        memset(col, 0, (size_t)xs.t0 * tap_bytes);
        if (adjacent) {
            memcpy(col + xs.t0 * cin_g, row + (ix0 + xs.t0) * p->in_c, (size_t)inside * tap_bytes);
        } else {
            for (kx = xs.t0; kx < xs.t1; ++kx) {
                memcpy(col + kx * cin_g, row + (ix0 + kx * p->dil_w) * p->in_c, tap_bytes);
            }
        }
        memset(col + xs.t1 * cin_g, 0, (size_t)(p->k_w - xs.t1) * tap_bytes);
    }
}

/* Output channels [oc, end) of one group from the gathered column x
 * (a kws_s16_channels_fn). */
static int16_t *channels(const kws_requant_s16_t *rq, const int8_t *weights, const int16_t *x, int oc, int end,
                         int depth, int16_t *out)
{
    const int8_t *w = weights + (size_t)oc * (size_t)depth;
    int64_t acc[4];
    int k;
    for (; oc + 4 <= end; oc += 4, w += 4 * depth) {
        acc[0] = acc[1] = acc[2] = acc[3] = 0;
        kws_dot4_s16(acc, x, w, depth, depth);
        for (k = 0; k < 4; ++k) {
            *out++ = kws_requant_s16_out(rq, oc + k, acc[k]);
        }
    }
    for (; oc < end; ++oc, w += depth) {
        *out++ = kws_requant_s16_out(rq, oc, kws_dot_s16(0, x, 1, w, depth));
    }
    return out;
}

void kws_conv2d_s16_with(const kws_conv2d_s16_params_t *p, const void *input_v, void *output_v, void *scratch,
                         kws_s16_channels_fn channels)
{
    const int16_t *input = (const int16_t *)input_v;
    int16_t *out = (int16_t *)output_v;
    int16_t *col = (int16_t *)scratch;
    const int cin_g = p->in_c / p->groups;
    const int cout_g = p->out_c / p->groups;
    const int depth = p->k_h * p->k_w * cin_g;
    const size_t image_elems = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    int b;
    int oy;
    int ox;
    int g;

    for (b = 0; b < p->batches; ++b) {
        const int16_t *image = input + (size_t)b * image_elems;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_t;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int ix0 = ox * p->stride_w - p->pad_l;
                if (p->direct) {
                    out = channels(&p->rq, p->weights,
                                   image + ((size_t)iy0 * (size_t)p->in_w + (size_t)ix0) * (size_t)p->in_c, 0,
                                   p->out_c, depth, out);
                    continue;
                }
                for (g = 0; g < p->groups; ++g) {
                    gather(p, image, g, iy0, ix0, col);
                    out = channels(&p->rq, p->weights, col, g * cout_g, (g + 1) * cout_g, depth, out);
                }
            }
        }
    }
}

void kws_conv2d_s16(const kws_conv2d_s16_params_t *p, const void *input, void *output, void *scratch)
{
    kws_conv2d_s16_with(p, input, output, scratch, channels);
}
