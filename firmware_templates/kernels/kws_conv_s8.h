#ifndef KWS_CONV_S8_H
#define KWS_CONV_S8_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CONV_2D. Weights are [out_c][k_h][k_w][in_c / groups]; the folded bias
 * (see kws_requant_t) makes padding positions, filled with in_zp, contribute
 * exact zeros. col is scratch of
 * k_h * k_w * (in_c / groups) bytes (unused, may be NULL, when direct != 0:
 * 1x1 kernel, no padding, one group). */
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
    int16_t in_zp;
    const int8_t *weights;
    kws_requant_t rq;
} kws_conv2d_params_t;

void kws_conv2d_s8(const kws_conv2d_params_t *p, const int8_t *input, int8_t *output,
                   int8_t *col);

/* DEPTHWISE_CONV_2D with any depth multiplier. Weights are re-ordered to
 * [out_c][k_h][k_w] (out_c = in_c * depth_mult); bias folded as above. */
typedef struct {
    int16_t batches;
    int16_t in_h, in_w, in_c;
    int16_t out_h, out_w, depth_mult;
    int16_t k_h, k_w;
    int16_t stride_h, stride_w;
    int16_t dil_h, dil_w;
    int16_t pad_t, pad_l;
    int16_t in_zp;
    const int8_t *weights;
    kws_requant_t rq;
} kws_dwconv2d_params_t;

void kws_dwconv2d_s8(const kws_dwconv2d_params_t *p, const int8_t *input, int8_t *output);

/* The same operators for cores with the DSP extension (kws_conv2d_s8_dsp.c,
 * kws_dwconv2d_s8_dsp.c): their weight layouts and scratch are described
 * there and prepared by generator/model/ops/dsp.py. */
void kws_conv2d_s8_dsp(const kws_conv2d_params_t *p, const int8_t *input, int8_t *output,
                       int8_t *scratch);
void kws_dwconv2d_s8_dsp(const kws_dwconv2d_params_t *p, const int8_t *input, int8_t *output,
                         int8_t *scratch);

#ifdef __cplusplus
}
#endif

#endif /* KWS_CONV_S8_H */
