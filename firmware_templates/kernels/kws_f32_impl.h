/* What the float32 kernel files share (included by them only, first):
 * floating-point contraction off, since a fused multiply-add rounds once
 * where TFLite Micro's reference kernels round twice; the activation clamp;
 * and the row functions the fused conv + max pool step
 * (kws_conv_maxpool_f32.c) calls in the conv and pool files. */
#ifndef KWS_F32_IMPL_H
#define KWS_F32_IMPL_H

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <string.h>

#include "kws_f32.h"

/* ActivationFunctionWithMinMax: std::min(std::max(x, lo), hi). */
static inline float kws_act_f32(float x, float lo, float hi)
{
    x = (x < lo) ? lo : x;
    return (hi < x) ? hi : x;
}

static inline size_t kws_image_f32(int32_t h, int32_t w, int32_t c)
{
    return (size_t)h * (size_t)w * (size_t)c;
}

/* Conv output rows [oy0, oy1) of one image (kws_conv_f32.c); returns where
 * the next row goes. */
float *kws_conv2d_rows_f32(const kws_conv2d_f32_params_t *p, const float *image, int oy0, int oy1,
                           float *output);

/* Pooled row oy of one image from input rows that start at row `row0`
 * (kws_pool_f32.c); average or max. */
float *kws_pool_row_f32(const kws_pool_f32_params_t *p, const float *rows, int row0, int oy, int average,
                        float *output);

#endif /* KWS_F32_IMPL_H */
