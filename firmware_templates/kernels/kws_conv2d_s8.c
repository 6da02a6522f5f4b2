/* CONV_2D, int8, portable C99.
 *
 * For every output pixel the receptive field of one group is gathered into
 * `col` (positions outside the image are filled with the input zero point,
 * which the folded bias turns into exact zeros), then every output channel is
 * one contiguous dot product against its weight row. Four output channels are
 * computed per pass so each gathered byte is loaded once for four MACs.
 * A 1x1 kernel without padding reads the input pixel directly.
 * Parameters are copied to locals: int8 output stores could otherwise alias
 * them and force reloads in the inner loops. The shared requantization block
 * is unpacked once per call into the dot product's context (kws_dot_ctx_t),
 * so the per-pixel call passes three register arguments; a grouped
 * convolution steps the context's weights and requantization pointers from
 * group to group. */
#include <string.h>

#include "kws_conv_s8.h"
#include "kws_dot_s8.h"
#include "kws_qmath.h"

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
    const int w_step = cout_g * depth;
    const int m_step = cout_g * p->rq.mult_stride;
    kws_dot_ctx_t ctx;
    int b;
    int oy;
    int ox;
    int g;
    int ky;
    int kx;

    kws_dot_ctx_init(&ctx, &p->rq, p->weights, depth, cout_g);
    for (b = 0; b < batches; ++b) {
        const int8_t *const image = input + (size_t)b * (size_t)image_elems;
        for (oy = 0; oy < out_h; ++oy) {
            const int iy0 = oy * stride_h - pad_t;
            const int rows_inside = iy0 >= 0 && iy0 + (k_h - 1) * dil_h < in_h;
            for (ox = 0; ox < out_w; ++ox) {
                const int ix0 = ox * stride_w - pad_l;
                if (direct) {
                    kws_dot_channels_s8(&ctx, image + (iy0 * in_w + ix0) * in_c, output);
                } else if (groups == 1 && dil_w == 1 && rows_inside && ix0 >= 0 &&
                           ix0 + k_w - 1 < in_w) {
                    /* interior: each kernel row is one contiguous run */
                    const int run = k_w * in_c;
                    int8_t *dst = col;
                    for (ky = 0; ky < k_h; ++ky, dst += run) {
                        memcpy(dst, image + ((iy0 + ky * dil_h) * in_w + ix0) * in_c, (size_t)run);
                    }
                    kws_dot_channels_s8(&ctx, col, output);
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
                        kws_dot_channels_s8(&ctx, col, output + g * cout_g);
                        if (g + 1 < groups) { /* the next group's channels */
                            ctx.weights += w_step;
                            ctx.bias += cout_g;
                            ctx.mult += m_step;
                            ctx.shift += m_step;
                        }
                    }
                    if (groups > 1) { /* back to group 0 */
                        ctx.weights = p->weights;
                        ctx.bias = p->rq.bias;
                        ctx.mult = p->rq.mult;
                        ctx.shift = p->rq.shift;
                    }
                }
                output += out_c;
            }
        }
    }
}
