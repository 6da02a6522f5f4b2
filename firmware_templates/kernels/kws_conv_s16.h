#ifndef KWS_CONV_S16_H
#define KWS_CONV_S16_H

#include "kws_requant_s16.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CONV_2D of a 16x8 model: int16 input and output, int8 weights
 * [out_c][k_h][k_w][in_c / groups] (the .tflite layout), the output stage
 * of kws_requant_s16.h. col is scratch of k_h * k_w * (in_c / groups) int16
 * values (unused, may be NULL, when direct != 0: 1x1 kernel, no padding,
 * one group). */
typedef struct {
    int16_t batches;
    int16_t in_h, in_w, in_c;
    int16_t out_h, out_w, out_c;
    int16_t k_h, k_w;
    int16_t stride_h, stride_w;
    int16_t dil_h, dil_w;
    int16_t pad_t, pad_l;
    int16_t groups;
    int16_t direct;
    const int8_t *weights;
    kws_requant_s16_t rq;
} kws_conv2d_s16_params_t;

void kws_conv2d_s16(const kws_conv2d_s16_params_t *p, const void *input, void *output, void *col);

/* The same for cores with the DSP extension (kws_conv2d_s16_dsp.c): weights
 * re-ordered as kws_dot_s16_dsp.h describes. */
void kws_conv2d_s16_dsp(const kws_conv2d_s16_params_t *p, const void *input, void *output, void *col);

/* Output channels [oc, end) at the column x of depth values: weights
 * [out_c][depth], requantized with rq into out, returned advanced. */
typedef int16_t *(*kws_s16_channels_fn)(const kws_requant_s16_t *rq, const int8_t *weights, const int16_t *x,
                                        int oc, int end, int depth, int16_t *out);

/* The walk both CONV_2D kernels share (kws_conv2d_s16.c): gathers each
 * output pixel's column and hands it to `channels`. */
void kws_conv2d_s16_with(const kws_conv2d_s16_params_t *p, const void *input, void *output, void *col,
                         kws_s16_channels_fn channels);

/* DEPTHWISE_CONV_2D of a 16x8 model, any depth multiplier; weights
 * re-ordered to [out_c][k_h][k_w] (out_c = in_c * depth_mult) as for int8. */
typedef struct {
    int16_t batches;
    int16_t in_h, in_w, in_c;
    int16_t out_h, out_w, depth_mult;
    int16_t k_h, k_w;
    int16_t stride_h, stride_w;
    int16_t dil_h, dil_w;
    int16_t pad_t, pad_l;
    const int8_t *weights;
    kws_requant_s16_t rq;
} kws_dwconv2d_s16_params_t;

void kws_dwconv2d_s16(const kws_dwconv2d_s16_params_t *p, const void *input, void *output);

/* The same for cores with the DSP extension (kws_dwconv2d_s16_dsp.c): depth
 * multiplier 1, in_c a multiple of 4, weights widened to int32 words. */
void kws_dwconv2d_s16_dsp(const kws_dwconv2d_s16_params_t *p, const void *input, void *output);

/* Every output channel of the pixel whose window starts at (iy0, ix0) of
 * `image` (its taps in the image: ys, xs) into out, returned advanced. */
typedef int16_t *(*kws_dw_s16_pixel_fn)(const kws_dwconv2d_s16_params_t *p, const int16_t *image, int iy0, int ix0,
                                        kws_span_t ys, kws_span_t xs, int16_t *out);

/* The walk both DEPTHWISE_CONV_2D kernels share (kws_dwconv2d_s16.c). */
void kws_dwconv2d_s16_with(const kws_dwconv2d_s16_params_t *p, const void *input, void *output,
                           kws_dw_s16_pixel_fn pixel_fn);

/* A product of an int8 weight and an int16 value is at most 2^22 in
 * magnitude, so an int32 sum of KWS_S16_CHUNK of them cannot overflow: the
 * dot products below sum in int32 chunks and widen once per chunk (exactly
 * the reference's 64-bit sum, at 32-bit cost). */
#define KWS_S16_CHUNK 511

/* sum(x[i * x_step] * w[i]) for i < n, added to acc. */
KWS_INLINE int64_t kws_dot_s16(int64_t acc, const int16_t *x, int x_step, const int8_t *w, int n)
{
    while (n > 0) {
        const int len = n < KWS_S16_CHUNK ? n : KWS_S16_CHUNK;
        int32_t part = 0;
        int i;
        for (i = 0; i < len; ++i) {
            part += (int32_t)x[i * x_step] * (int32_t)w[i];
        }
        acc += part;
        x += len * x_step;
        w += len;
        n -= len;
    }
    return acc;
}

/* The same for four weight rows w, w + w_step, w + 2 w_step, w + 3 w_step
 * against one contiguous x: each value is loaded once for four products. */
KWS_INLINE void kws_dot4_s16(int64_t acc[4], const int16_t *x, const int8_t *w, int w_step, int n)
{
    while (n > 0) {
        const int len = n < KWS_S16_CHUNK ? n : KWS_S16_CHUNK;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int i;
        for (i = 0; i < len; ++i) {
            const int32_t v = x[i];
            a0 += v * w[i];
            a1 += v * w[i + w_step];
            a2 += v * w[i + 2 * w_step];
            a3 += v * w[i + 3 * w_step];
        }
        acc[0] += a0;
        acc[1] += a1;
        acc[2] += a2;
        acc[3] += a3;
        x += len;
        w += len;
        n -= len;
    }
}

#ifdef __cplusplus
}
#endif

#endif /* KWS_CONV_S16_H */
