/* DEPTHWISE_CONV_2D, int8, portable C99, any depth multiplier.
 *
 * Weights are stored per output channel ([out_c][k_h][k_w]) so the taps of a
 * channel are contiguous. For each output pixel the kernel first lists the
 * window taps that fall inside the image (their weight index and input
 * offset) and those that fall outside; every channel is then a short dot
 * product over the inside taps, and outside taps contribute weight * in_zp,
 * which the folded bias turns into the exact zero padding of the reference.
 * The common 3x3 / multiplier-1 interior case is fully unrolled.
 * Windows of more than KWS_DW_MAX_TAPS taps use a plain nested loop.
 * The requantization block is unpacked into a local int32 stage once per
 * call: reading it through the parameter block in the per-channel loops
 * cost about 4 instructions per output on the Cortex-M7 (measured). */
#include "kws_conv_s8.h"
#include "kws_qmath.h"

#ifndef KWS_DW_MAX_TAPS
#define KWS_DW_MAX_TAPS 64
#endif

typedef struct {
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *mult;
    const int8_t *shift;
    int mstride;
    int in_c;
    int depth_mult;
    int taps;
    int32_t in_zp;
    int32_t out_zp;
    int32_t act_min;
    int32_t act_max;
} dw_stage_t;

/* One output pixel from tap lists: inside taps (weight index, input offset
 * relative to the pixel's channel 0) and outside taps (weight index). */
static void dw_pixel(const dw_stage_t *s, const int8_t *image, const int *in_k, const int *in_off,
                     int n_in, const int *out_k, int n_out, int8_t *out)
{
    const int8_t *w = s->weights;
    const int32_t *const bias = s->bias;
    const int32_t *const mults = s->mult;
    const int8_t *const shifts = s->shift;
    const int mstride = s->mstride;
    const int taps = s->taps;
    const int mult = s->depth_mult;
    const int in_c = s->in_c;
    const int32_t in_zp = s->in_zp;
    const int32_t out_zp = s->out_zp;
    const int32_t act_min = s->act_min;
    const int32_t act_max = s->act_max;
    int oc = 0;
    int ic;
    int m;
    int i;
    for (ic = 0; ic < in_c; ++ic) {
        const int8_t *const x = image + ic;
        for (m = 0; m < mult; ++m, ++oc, w += taps) {
            int32_t acc = bias[oc];
            int32_t pad = 0;
            for (i = 0; i < n_in; ++i) {
                acc += (int32_t)w[in_k[i]] * (int32_t)x[in_off[i]];
            }
            for (i = 0; i < n_out; ++i) {
                pad += w[out_k[i]];
            }
            acc += pad * in_zp;
            out[oc] = kws_requantize_s8(acc, mults[oc * mstride], shifts[oc * mstride], out_zp, act_min,
                                        act_max);
        }
    }
}

/* Interior pixel of a 3x3 window, depth multiplier 1. */
static void dw_pixel_3x3(const dw_stage_t *s, const int8_t *x0, int row, int col, int8_t *out)
{
    const int8_t *w = s->weights;
    const int32_t *const bias = s->bias;
    const int32_t *const mults = s->mult;
    const int8_t *const shifts = s->shift;
    const int mstride = s->mstride;
    const int32_t out_zp = s->out_zp;
    const int32_t act_min = s->act_min;
    const int32_t act_max = s->act_max;
    const int in_c = s->in_c;
    int c;
    for (c = 0; c < in_c; ++c, w += 9) {
        const int8_t *r0 = x0 + c;
        const int8_t *r1 = r0 + row;
        const int8_t *r2 = r1 + row;
        int32_t acc = bias[c];
        acc += w[0] * (int32_t)r0[0] + w[1] * (int32_t)r0[col] + w[2] * (int32_t)r0[2 * col];
        acc += w[3] * (int32_t)r1[0] + w[4] * (int32_t)r1[col] + w[5] * (int32_t)r1[2 * col];
        acc += w[6] * (int32_t)r2[0] + w[7] * (int32_t)r2[col] + w[8] * (int32_t)r2[2 * col];
        out[c] = kws_requantize_s8(acc, mults[c * mstride], shifts[c * mstride], out_zp, act_min, act_max);
    }
}

/* Any window size, with a bounds test per tap (used beyond KWS_DW_MAX_TAPS). */
static void dw_pixel_nested(const dw_stage_t *s, const kws_dwconv2d_params_t *p, const int8_t *image,
                            int iy0, int ix0, int8_t *out)
{
    const int8_t *w = s->weights;
    int oc = 0;
    int ic;
    int m;
    int ky;
    int kx;
    for (ic = 0; ic < s->in_c; ++ic) {
        for (m = 0; m < s->depth_mult; ++m, ++oc, w += s->taps) {
            int32_t acc = s->bias[oc];
            int k = 0;
            for (ky = 0; ky < p->k_h; ++ky) {
                const int iy = iy0 + ky * p->dil_h;
                for (kx = 0; kx < p->k_w; ++kx, ++k) {
                    const int ix = ix0 + kx * p->dil_w;
                    int32_t x = s->in_zp;
                    if (iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w) {
                        x = image[(iy * p->in_w + ix) * s->in_c + ic];
                    }
                    acc += (int32_t)w[k] * x;
                }
            }
            {
                const int q = oc * s->mstride;
                out[oc] = kws_requantize_s8(acc, s->mult[q], s->shift[q], s->out_zp, s->act_min, s->act_max);
            }
        }
    }
}

void kws_dwconv2d_s8(const kws_dwconv2d_params_t *p, const int8_t *input, int8_t *output)
{
    const int batches = p->batches;
    const int in_h = p->in_h;
    const int in_w = p->in_w;
    const int in_c = p->in_c;
    const int out_h = p->out_h;
    const int out_w = p->out_w;
    const int k_h = p->k_h;
    const int k_w = p->k_w;
    const int stride_h = p->stride_h;
    const int stride_w = p->stride_w;
    const int dil_h = p->dil_h;
    const int dil_w = p->dil_w;
    const int pad_t = p->pad_t;
    const int pad_l = p->pad_l;
    const int out_c = in_c * p->depth_mult;
    const int image_elems = in_h * in_w * in_c;
    const int unrolled = k_h == 3 && k_w == 3 && p->depth_mult == 1;
    dw_stage_t s;
    int in_k[KWS_DW_MAX_TAPS];
    int in_off[KWS_DW_MAX_TAPS];
    int out_k[KWS_DW_MAX_TAPS];
    int b;
    int oy;
    int ox;

    s.weights = p->weights;
    s.bias = p->rq.bias;
    s.mult = p->rq.mult;
    s.shift = p->rq.shift;
    s.mstride = p->rq.mult_stride;
    s.in_c = in_c;
    s.depth_mult = p->depth_mult;
    s.taps = k_h * k_w;
    s.in_zp = p->in_zp;
    s.out_zp = p->rq.out_zp;
    s.act_min = p->rq.act_min;
    s.act_max = p->rq.act_max;

    for (b = 0; b < batches; ++b) {
        const int8_t *const image = input + (size_t)b * (size_t)image_elems;
        for (oy = 0; oy < out_h; ++oy) {
            const int iy0 = oy * stride_h - pad_t;
            const int rows_inside = iy0 >= 0 && iy0 + (k_h - 1) * dil_h < in_h;
            for (ox = 0; ox < out_w; ++ox, output += out_c) {
                const int ix0 = ox * stride_w - pad_l;
                const int inside = rows_inside && ix0 >= 0 && ix0 + (k_w - 1) * dil_w < in_w;
                if (inside && unrolled) {
                    dw_pixel_3x3(&s, image + (iy0 * in_w + ix0) * in_c, dil_h * in_w * in_c, dil_w * in_c,
                                 output);
                } else if (s.taps <= KWS_DW_MAX_TAPS) {
                    int n_in = 0;
                    int n_out = 0;
                    int k = 0;
                    int ky;
                    int kx;
                    for (ky = 0; ky < k_h; ++ky) {
                        const int iy = iy0 + ky * dil_h;
                        for (kx = 0; kx < k_w; ++kx, ++k) {
                            const int ix = ix0 + kx * dil_w;
                            if (iy >= 0 && iy < in_h && ix >= 0 && ix < in_w) {
                                in_k[n_in] = k;
                                in_off[n_in] = (iy * in_w + ix) * in_c;
                                ++n_in;
                            } else {
                                out_k[n_out++] = k;
                            }
                        }
                    }
                    dw_pixel(&s, image, in_k, in_off, n_in, out_k, n_out, output);
                } else {
                    dw_pixel_nested(&s, p, image, iy0, ix0, output);
                }
            }
        }
    }
}
