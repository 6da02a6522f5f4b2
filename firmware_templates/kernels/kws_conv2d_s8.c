/* CONV_2D, int8, portable C99.
 *
 * For every output pixel the receptive field of one group is gathered into
 * `col` (positions outside the image are filled with the input zero point,
 * which the folded bias turns into exact zeros), then every output channel is
 * one contiguous dot product against its weight row. Four output channels are
 * computed per pass so each gathered byte is loaded once for four MACs.
 * A 1x1 kernel without padding reads the input pixel directly.
 * Parameters are copied to locals: int8 output stores could otherwise alias
 * them and force reloads in the inner loops. */
#include <string.h>

#include "kws_kernels.h"
#include "kws_qmath.h"

typedef struct {
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *mult;
    const int8_t *shift;
    int mstride;
    int32_t out_zp;
    int32_t act_min;
    int32_t act_max;
} out_stage_t;

/* out[c] for c in [c_begin, c_end) from one gathered (or direct) column of
 * `depth` bytes. */
static void channels(const out_stage_t *s, const int8_t *src, int depth, int c_begin, int c_end,
                     int8_t *out)
{
    const int8_t *const weights = s->weights;
    const int32_t *const bias = s->bias;
    const int32_t *const mults = s->mult;
    const int8_t *const shifts = s->shift;
    const int mstride = s->mstride;
    const int32_t out_zp = s->out_zp;
    const int32_t act_min = s->act_min;
    const int32_t act_max = s->act_max;
    int c = c_begin;

    for (; c + 3 < c_end; c += 4) {
        const int8_t *w0 = weights + (size_t)c * (size_t)depth;
        const int8_t *w1 = w0 + depth;
        const int8_t *w2 = w1 + depth;
        const int8_t *w3 = w2 + depth;
        int32_t acc0 = bias[c];
        int32_t acc1 = bias[c + 1];
        int32_t acc2 = bias[c + 2];
        int32_t acc3 = bias[c + 3];
        int k;
        for (k = 0; k < depth; ++k) {
            const int32_t x = src[k];
            acc0 += w0[k] * x;
            acc1 += w1[k] * x;
            acc2 += w2[k] * x;
            acc3 += w3[k] * x;
        }
        out[c] = kws_requantize_s8(acc0, mults[c * mstride], shifts[c * mstride], out_zp, act_min, act_max);
        out[c + 1] = kws_requantize_s8(acc1, mults[(c + 1) * mstride], shifts[(c + 1) * mstride], out_zp,
                                       act_min, act_max);
        out[c + 2] = kws_requantize_s8(acc2, mults[(c + 2) * mstride], shifts[(c + 2) * mstride], out_zp,
                                       act_min, act_max);
        out[c + 3] = kws_requantize_s8(acc3, mults[(c + 3) * mstride], shifts[(c + 3) * mstride], out_zp,
                                       act_min, act_max);
    }
    for (; c < c_end; ++c) {
        const int8_t *w0 = weights + (size_t)c * (size_t)depth;
        int32_t acc0 = bias[c];
        int k;
        for (k = 0; k < depth; ++k) {
            acc0 += w0[k] * (int32_t)src[k];
        }
        out[c] = kws_requantize_s8(acc0, mults[c * mstride], shifts[c * mstride], out_zp, act_min, act_max);
    }
}

void kws_conv2d_s8(const kws_conv2d_params_t *p, const int8_t *input, int8_t *output,
                   int8_t *col)
{
    const int batches = p->batches;
    const int in_h = p->in_h;
    const int in_w = p->in_w;
    const int in_c = p->in_c;
    const int out_h = p->out_h;
    const int out_w = p->out_w;
    const int out_c = p->out_c;
    const int k_h = p->k_h;
    const int k_w = p->k_w;
    const int stride_h = p->stride_h;
    const int stride_w = p->stride_w;
    const int dil_h = p->dil_h;
    const int dil_w = p->dil_w;
    const int pad_t = p->pad_t;
    const int pad_l = p->pad_l;
    const int groups = p->groups;
    const int direct = p->direct;
    const int8_t zp = (int8_t)p->in_zp;
    const int cin_g = in_c / groups;
    const int cout_g = out_c / groups;
    const int depth = k_h * k_w * cin_g;
    const int image_elems = in_h * in_w * in_c;
    out_stage_t stage;
    int b;
    int oy;
    int ox;
    int g;
    int ky;
    int kx;

    stage.weights = p->weights;
    stage.bias = p->bias;
    stage.mult = p->mult;
    stage.shift = p->shift;
    stage.mstride = p->mult_stride;
    stage.out_zp = p->out_zp;
    stage.act_min = p->act_min;
    stage.act_max = p->act_max;

    for (b = 0; b < batches; ++b) {
        const int8_t *const image = input + (size_t)b * (size_t)image_elems;
        for (oy = 0; oy < out_h; ++oy) {
            const int iy0 = oy * stride_h - pad_t;
            const int rows_inside = iy0 >= 0 && iy0 + (k_h - 1) * dil_h < in_h;
            for (ox = 0; ox < out_w; ++ox) {
                const int ix0 = ox * stride_w - pad_l;
                if (direct) {
                    channels(&stage, image + (iy0 * in_w + ix0) * in_c, depth, 0, out_c, output);
                } else if (groups == 1 && dil_w == 1 && rows_inside && ix0 >= 0 &&
                           ix0 + k_w - 1 < in_w) {
                    /* interior: each kernel row is one contiguous run */
                    const int run = k_w * in_c;
                    int8_t *dst = col;
                    for (ky = 0; ky < k_h; ++ky, dst += run) {
                        memcpy(dst, image + ((iy0 + ky * dil_h) * in_w + ix0) * in_c, (size_t)run);
                    }
                    channels(&stage, col, depth, 0, out_c, output);
                } else {
                    for (g = 0; g < groups; ++g) {
                        int8_t *dst = col;
                        for (ky = 0; ky < k_h; ++ky) {
                            const int iy = iy0 + ky * dil_h;
                            const int row_ok = iy >= 0 && iy < in_h;
                            for (kx = 0; kx < k_w; ++kx, dst += cin_g) {
                                const int ix = ix0 + kx * dil_w;
                                if (row_ok && ix >= 0 && ix < in_w) {
                                    memcpy(dst, image + (iy * in_w + ix) * in_c + g * cin_g,
                                           (size_t)cin_g);
                                } else {
                                    memset(dst, zp, (size_t)cin_g);
                                }
                            }
                        }
                        channels(&stage, col, depth, g * cout_g, (g + 1) * cout_g, output);
                    }
                }
                output += out_c;
            }
        }
    }
}
