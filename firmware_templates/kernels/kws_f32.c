/* float32 kernels, portable C99: the operation order of TFLite Micro's
 * reference float kernels (tensorflow/lite/kernels/internal/reference/
 * conv.h, depthwiseconv_float.h, fully_connected.h, pooling.h, softmax.h,
 * add.h, reduce.h's Mean; activations' ReluFloat, Relu6Float). Floating-point contraction is off in this file: a fused
 * multiply-add would round once where the reference rounds twice. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <string.h>

#include "kws_f32.h"

/* ActivationFunctionWithMinMax: std::min(std::max(x, lo), hi). */
static float kws_act_f32(float x, float lo, float hi)
{
    x = (x < lo) ? lo : x;
    return (hi < x) ? hi : x;
}

/* expf as glibc computes it (the algorithm of ARM's optimized-routines
 * expf; glibc's is what the TFLite Micro interpreter calls on the host):
 * x / ln2 * 32 rounded to an integer k, 2^(k/32) from a table, 2^(r/32) by
 * a cubic, all in double, rounded to float once. Written out here rather
 * than taken from the C library because the Arm toolchain's newlib expf
 * gives other bits: with this one the float SOFTMAX is bit-exact on every
 * target (double arithmetic is IEEE, in software on a single-precision
 * FPU). Equal to glibc's portable expf on all 2^32 inputs (docs/runtime.md,
 * "Float32 models"). Inputs are softmax's (x - max) * beta: finite or NaN;
 * overflow is handled too. The table is computed, not copied: the double
 * nearest 2^(i/32), less i << 47 so that adding k << 47 scales it. */
static const uint64_t kws_exp2_32[32] = {
    UINT64_C(0x3ff0000000000000), UINT64_C(0x3fefd9b0d3158574), UINT64_C(0x3fefb5586cf9890f),
    UINT64_C(0x3fef9301d0125b51), UINT64_C(0x3fef72b83c7d517b), UINT64_C(0x3fef54873168b9aa),
    UINT64_C(0x3fef387a6e756238), UINT64_C(0x3fef1e9df51fdee1), UINT64_C(0x3fef06fe0a31b715),
    UINT64_C(0x3feef1a7373aa9cb), UINT64_C(0x3feedea64c123422), UINT64_C(0x3feece086061892d),
    UINT64_C(0x3feebfdad5362a27), UINT64_C(0x3feeb42b569d4f82), UINT64_C(0x3feeab07dd485429),
    UINT64_C(0x3feea47eb03a5585), UINT64_C(0x3feea09e667f3bcd), UINT64_C(0x3fee9f75e8ec5f74),
    UINT64_C(0x3feea11473eb0187), UINT64_C(0x3feea589994cce13), UINT64_C(0x3feeace5422aa0db),
    UINT64_C(0x3feeb737b0cdc5e5), UINT64_C(0x3feec49182a3f090), UINT64_C(0x3feed503b23e255d),
    UINT64_C(0x3feee89f995ad3ad), UINT64_C(0x3feeff76f2fb5e47), UINT64_C(0x3fef199bdd85529c),
    UINT64_C(0x3fef3720dcef9069), UINT64_C(0x3fef5818dcfba487), UINT64_C(0x3fef7c97337b9b5f),
    UINT64_C(0x3fefa4afa2a490da), UINT64_C(0x3fefd0765b6e4540),
};

static float kws_expf(float x)
{
    union { float f; uint32_t u; } in;
    union { double d; uint64_t u; } kb, sb;
    uint32_t top;
    double z, kd, r, r2, p, y;
    uint64_t ki;

    in.f = x;
    top = (in.u >> 20) & 0x7ffu;
    if (top >= 0x42bu) { /* |x| >= 88, or not finite */
        if (in.u == 0xff800000u) {
            return 0.0f;
        }
        if (top >= 0x7f8u) {
            return x + x;
        }
        if (x > 0x1.62e42ep6f) {
            return 3.40282347e+38f * 3.40282347e+38f;
        }
        if (x < -0x1.9fe368p6f) {
            return 0.0f;
        }
    }
    z = 0x1.71547652b82fep+5 * (double)x; /* 32 / ln 2 */
    kb.d = z + 6755399441055744.0;      /* 0x1.8p52: round to an integer */
    ki = kb.u;
    kd = kb.d - 6755399441055744.0;
    r = z - kd;
    sb.u = kws_exp2_32[ki % 32u] + (ki << 47);
    p = 0x1.c6af84b912394p-5 / 32768.0 * r + 0x1.ebfce50fac4f3p-3 / 1024.0;
    r2 = r * r;
    y = 0x1.62e42ff0c52d6p-1 / 32.0 * r + 1.0;
    y = p * r2 + y;
    y = y * sb.d;
    return (float)y;
}

/* Output rows [oy0, oy1) of one image; returns where the next row goes. */
static float *kws_conv2d_rows_f32(const kws_conv2d_f32_params_t *p, const float *image, int oy0, int oy1,
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

static size_t kws_image_f32(int32_t h, int32_t w, int32_t c)
{
    return (size_t)h * (size_t)w * (size_t)c;
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

void kws_fully_connected_f32(const kws_fc_f32_params_t *p, const float *input, float *output)
{
    int b, oc, d;

    for (b = 0; b < p->batches; ++b) {
        const float *x = input + (size_t)b * (size_t)p->depth;
        for (oc = 0; oc < p->out_c; ++oc) {
            const float *w = p->weights + (size_t)oc * (size_t)p->depth;
            float total = 0.0f;
            for (d = 0; d < p->depth; ++d) {
                total += x[d] * w[d];
            }
            *output++ = kws_act_f32(total + (p->bias ? p->bias[oc] : 0.0f), p->act_min, p->act_max);
        }
    }
}

/* The pooling window of output (oy, ox), clipped to the image. */
typedef struct {
    int y0, y1, x0, x1;
} kws_window_f32_t;

static kws_window_f32_t kws_pool_window_f32(const kws_pool_f32_params_t *p, int oy, int ox)
{
    kws_window_f32_t w;
    const int iy0 = oy * p->stride_h - p->pad_t;
    const int ix0 = ox * p->stride_w - p->pad_l;
    w.y0 = iy0 < 0 ? 0 : iy0;
    w.x0 = ix0 < 0 ? 0 : ix0;
    w.y1 = iy0 + p->k_h < p->in_h ? iy0 + p->k_h : p->in_h;
    w.x1 = ix0 + p->k_w < p->in_w ? ix0 + p->k_w : p->in_w;
    return w;
}

/* Pooled row oy of one image, from input rows that start at row `row0`
 * (the whole image: 0; a band of conv rows: its first row). */
static float *kws_pool_row_f32(const kws_pool_f32_params_t *p, const float *rows, int row0, int oy,
                               int average, float *output)
{
    int ox, c, y, x;
    for (ox = 0; ox < p->out_w; ++ox) {
        const kws_window_f32_t w = kws_pool_window_f32(p, oy, ox);
        for (c = 0; c < p->channels; ++c) {
            /* max starts at std::numeric_limits<float>::lowest() */
            float acc = average ? 0.0f : -3.40282347e+38f;
            float count = 0.0f;
            for (y = w.y0; y < w.y1; ++y) {
                for (x = w.x0; x < w.x1; ++x) {
                    const float v = rows[((size_t)(y - row0) * (size_t)p->in_w + (size_t)x) * (size_t)p->channels + (size_t)c];
                    if (average) {
                        acc += v;
                        count += 1.0f;
                    } else {
                        acc = (acc < v) ? v : acc; /* std::max(acc, v) */
                    }
                }
            }
            *output++ = kws_act_f32(average ? acc / count : acc, p->act_min, p->act_max);
        }
    }
    return output;
}

static void kws_pool_f32(const kws_pool_f32_params_t *p, const float *input, int average, float *output)
{
    int b, oy;
    for (b = 0; b < p->batches; ++b) {
        const float *image = input + (size_t)b * kws_image_f32(p->in_h, p->in_w, p->channels);
        for (oy = 0; oy < p->out_h; ++oy) {
            output = kws_pool_row_f32(p, image, 0, oy, average, output);
        }
    }
}

void kws_maxpool_f32(const kws_pool_f32_params_t *p, const float *input, float *output)
{
    kws_pool_f32(p, input, 0, output);
}

void kws_avgpool_f32(const kws_pool_f32_params_t *p, const float *input, float *output)
{
    kws_pool_f32(p, input, 1, output);
}

/* Per pooled row: the conv rows its window covers (clipped) into `band`,
 * then the pooled row from them. The pool's stride is at least its height
 * (the compiler checks), so no conv row is computed twice. */
void kws_conv2d_maxpool_f32(const kws_conv2d_maxpool_f32_params_t *p, const float *input, float *output,
                            void *band)
{
    int b, oy;
    for (b = 0; b < p->conv.batches; ++b) {
        const float *image = input + (size_t)b * kws_image_f32(p->conv.in_h, p->conv.in_w, p->conv.in_c);
        for (oy = 0; oy < p->pool.out_h; ++oy) {
            const kws_window_f32_t w = kws_pool_window_f32(&p->pool, oy, 0);
            (void)kws_conv2d_rows_f32(&p->conv, image, w.y0, w.y1, (float *)band);
            output = kws_pool_row_f32(&p->pool, (const float *)band, w.y0, oy, 0, output);
        }
    }
}

void kws_softmax_f32(const kws_softmax_f32_params_t *p, const float *input, float *output)
{
    int r, c;

    for (r = 0; r < p->rows; ++r) {
        const float *x = input + (size_t)r * (size_t)p->depth;
        float *y = output + (size_t)r * (size_t)p->depth;
        float max = -3.40282347e+38f;
        float sum = 0.0f;
        for (c = 0; c < p->depth; ++c) {
            max = (max < x[c]) ? x[c] : max;
        }
        for (c = 0; c < p->depth; ++c) {
            const float e = kws_expf((x[c] - max) * p->beta);
            y[c] = e;
            sum += e;
        }
        for (c = 0; c < p->depth; ++c) {
            y[c] = y[c] / sum;
        }
    }
}

/* reference_ops::Mean: the sum in input order from 0, then one division
 * by the element count (as float). */
void kws_mean_f32(const kws_mean_f32_params_t *p, const float *input, float *output)
{
    const float count = (float)p->reduce;
    int o, i, r;

    for (o = 0; o < p->outer; ++o) {
        const float *x = input + (size_t)o * (size_t)p->reduce * (size_t)p->inner;
        for (i = 0; i < p->inner; ++i) {
            float total = 0.0f;
            for (r = 0; r < p->reduce; ++r) {
                total += x[(size_t)r * (size_t)p->inner + (size_t)i];
            }
            *output++ = total / count;
        }
    }
}

/* ReluFloat (val < 0 ? 0 : val) and Relu6Float (val > 6 ? 6 : val < 0 ? 0 : val):
 * the same values as the clamp, NaN and -0.0 included. */
void kws_clamp_f32(const kws_clamp_f32_params_t *p, const float *input, float *output)
{
    int32_t i;

    for (i = 0; i < p->count; ++i) {
        output[i] = kws_act_f32(input[i], p->act_min, p->act_max);
    }
}

/* PAD / PADV2: copies and the pad value, in output order. An output run
 * is written after its source run is read (the input may be overlapped). */
void kws_pad_f32(const kws_pad_f32_params_t *p, const float *input, float *output)
{
    kws_pad_walk(p->in_dims, p->out_dims, p->before, sizeof(float), &p->value, input, output);
}

/* CONCATENATION: block copies in output order (memmove: the output may
 * overlap a dying input). */
void kws_concat_f32(const kws_concat_f32_params_t *p, const float *const *inputs, float *output)
{
    int32_t o, i;

    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < p->count; ++i) {
            const int32_t n = p->axis_len[i];
            memmove(output, inputs[i] + (size_t)o * (size_t)n, (size_t)n * sizeof(float));
            output += n;
        }
    }
}

void kws_add_f32(const kws_add_f32_params_t *p, const float *input1, const float *input2, float *output)
{
    int32_t a, b;
    KWS_BROADCAST_FOR_EACH(&p->shape, a, b,
                           *output++ = kws_act_f32(input1[a] + input2[b], p->act_min, p->act_max));
}
