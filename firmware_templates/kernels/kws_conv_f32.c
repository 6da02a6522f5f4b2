/* CONV_2D and DEPTHWISE_CONV_2D, float32: TFLite Micro's reference conv.h
 * and depthwiseconv_float.h operation order. */

#include "kws_f32_impl.h"

float *kws_conv2d_rows_f32(const kws_conv2d_f32_params_t *p, const float *image, int oy0, int oy1,
                           float *output)
{
    const int cig = p->in_c / p->groups;
    const int per_group = p->out_c / p->groups;
    int oy, ox, oc, ky, kx, ic;

    for (oy = oy0; oy < oy1; ++oy) {
        const int iy0 = oy * p->stride_h - p->pad_t;
        for (ox = 0; ox < p->out_w; ++ox) {
            const int ix0 = ox * p->stride_w - p->pad_l;
            for (oc = 0; oc < p->out_c; ++oc) {
                const float *w = p->weights + (size_t)oc * (size_t)p->k_h * (size_t)p->k_w * (size_t)cig;
                const int c0 = (oc / per_group) * cig;
                float total = 0.0f;
                for (ky = 0; ky < p->k_h; ++ky) {
                    const int iy = iy0 + p->dil_h * ky;
                    for (kx = 0; kx < p->k_w; ++kx) {
                        const int ix = ix0 + p->dil_w * kx;
                        const float *px;
                        const float *wk = w + ((size_t)ky * (size_t)p->k_w + (size_t)kx) * (size_t)cig;
                        if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                            continue;
                        }
                        px = image + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * (size_t)p->in_c + (size_t)c0;
                        for (ic = 0; ic < cig; ++ic) {
                            total += px[ic] * wk[ic];
                        }
                    }
                }
                *output++ = kws_act_f32(total + (p->bias ? p->bias[oc] : 0.0f), p->act_min, p->act_max);
            }
        }
    }
    return output;
}

void kws_conv2d_f32(const kws_conv2d_f32_params_t *p, const float *input, float *output)
{
    int b;
    for (b = 0; b < p->batches; ++b) {
        output = kws_conv2d_rows_f32(p, input + (size_t)b * kws_image_f32(p->in_h, p->in_w, p->in_c), 0,
                                     p->out_h, output);
    }
}

void kws_dwconv2d_f32(const kws_dwconv2d_f32_params_t *p, const float *input, float *output)
{
    const int out_c = p->in_c * p->depth_mult;
    int b, oy, ox, ic, m, ky, kx;

    for (b = 0; b < p->batches; ++b) {
        const float *image = input + (size_t)b * (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_t;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int ix0 = ox * p->stride_w - p->pad_l;
                for (ic = 0; ic < p->in_c; ++ic) {
                    for (m = 0; m < p->depth_mult; ++m) {
                        const int oc = m + ic * p->depth_mult;
                        float total = 0.0f;
                        for (ky = 0; ky < p->k_h; ++ky) {
                            const int iy = iy0 + p->dil_h * ky;
                            for (kx = 0; kx < p->k_w; ++kx) {
                                const int ix = ix0 + p->dil_w * kx;
                                if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                                    continue;
                                }
                                total += image[((size_t)iy * (size_t)p->in_w + (size_t)ix) * (size_t)p->in_c + (size_t)ic]
                                         * p->weights[((size_t)ky * (size_t)p->k_w + (size_t)kx) * (size_t)out_c + (size_t)oc];
                            }
                        }
                        *output++ = kws_act_f32(total + (p->bias ? p->bias[oc] : 0.0f), p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}
