#ifndef KWS_CONV_S16_H
#define KWS_CONV_S16_H

#include "kws_requant_s16.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CONV_2D of a 16x8 model: int16 input and output, int8 weights
 * [out_c][k_h][k_w][in_c / groups] (the .tflite layout), the 64-bit output
 * stage of kws_requant_s16.h. Taps outside the image are skipped. */
typedef struct {
    int16_t batches;
    int16_t in_h, in_w, in_c;
    int16_t out_h, out_w, out_c;
    int16_t k_h, k_w;
    int16_t stride_h, stride_w;
    int16_t dil_h, dil_w;
    int16_t pad_t, pad_l;
    int16_t groups;
    const int8_t *weights;
    kws_requant_s16_t rq;
} kws_conv2d_s16_params_t;

void kws_conv2d_s16(const kws_conv2d_s16_params_t *p, const void *input, void *output);

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

#ifdef __cplusplus
}
#endif

#endif /* KWS_CONV_S16_H */
