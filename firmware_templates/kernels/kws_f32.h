/* tinykws float32 kernels: TFLite Micro's reference float kernels, same
 * arithmetic in the same order, so a float32 model gives the interpreter's
 * bits (see docs/runtime.md, "Float32 models").
 *
 * Every kernel accumulates in float in the reference's loop order, adds the
 * bias after the sum, and clamps with ActivationFunctionWithMinMax
 * (min(max(x, act_min), act_max), NaN passing through). The kernel files
 * (kws_*_f32.c, one per operator family) are compiled with floating-point
 * contraction off (kws_f32_impl.h): a fused multiply-add rounds once where
 * the reference rounds twice. The same write-order contract as the int8
 * kernels holds (kws_kernels.h), with 4-byte elements. */
#ifndef KWS_F32_H
#define KWS_F32_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CONV_2D: weights [out_c][k_h][k_w][in_c / groups]; bias NULL or [out_c]. */
typedef struct {
    int32_t batches;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_t, pad_l;
    int32_t groups;
    const float *weights;
    const float *bias;
    float act_min, act_max;
} kws_conv2d_f32_params_t;

/* DEPTHWISE_CONV_2D: weights as the .tflite stores them, [k_h][k_w][out_c]
 * (out_c = in_c * depth_mult); bias NULL or [out_c]. */
typedef struct {
    int32_t batches;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, depth_mult;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_t, pad_l;
    const float *weights;
    const float *bias;
    float act_min, act_max;
} kws_dwconv2d_f32_params_t;

/* FULLY_CONNECTED: weights [out_c][depth]; bias NULL or [out_c]. */
typedef struct {
    int32_t batches, depth, out_c;
    const float *weights;
    const float *bias;
    float act_min, act_max;
} kws_fc_f32_params_t;

/* AVERAGE_POOL_2D / MAX_POOL_2D, the window clipped to the image. */
typedef struct {
    int32_t batches;
    int32_t in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t pad_t, pad_l;
    float act_min, act_max;
} kws_pool_f32_params_t;

/* CONV_2D whose output only a MAX_POOL_2D reads, as one step: the conv's
 * output never exists whole, a band of pool.k_h conv rows does (scratch). */
typedef struct {
    kws_conv2d_f32_params_t conv;
    kws_pool_f32_params_t pool;
} kws_conv2d_maxpool_f32_params_t;

/* SOFTMAX over the last axis: exp((x - max) * beta) / sum. */
typedef struct {
    int32_t rows, depth;
    float beta;
} kws_softmax_f32_params_t;

/* ADD with broadcasting over up to 4 dimensions (kws_broadcast_t). */
typedef struct {
    kws_broadcast_t shape;
    float act_min, act_max;
} kws_add_f32_params_t;

/* MEAN over adjacent axes: input [outer][reduce][inner] -> [outer][inner]. */
typedef struct {
    int32_t outer, reduce, inner;
} kws_mean_f32_params_t;

/* RELU, RELU6 (standalone): out = min(max(x, act_min), act_max). */
typedef struct {
    int32_t count;
    float act_min, act_max;
} kws_clamp_f32_params_t;

/* PAD / PADV2 up to 4-D with a constant (0.0f for PAD). */
typedef struct {
    int32_t in_dims[4];
    int32_t out_dims[4];
    int32_t before[4];
    float value;
} kws_pad_f32_params_t;

/* CONCATENATION: outer blocks of axis_len[i] values from each input in turn. */
typedef struct {
    int32_t outer;
    int32_t count;
    const int32_t *axis_len;
} kws_concat_f32_params_t;

void kws_conv2d_f32(const kws_conv2d_f32_params_t *p, const float *input, float *output);
void kws_dwconv2d_f32(const kws_dwconv2d_f32_params_t *p, const float *input, float *output);
void kws_fully_connected_f32(const kws_fc_f32_params_t *p, const float *input, float *output);
void kws_maxpool_f32(const kws_pool_f32_params_t *p, const float *input, float *output);
void kws_avgpool_f32(const kws_pool_f32_params_t *p, const float *input, float *output);
void kws_conv2d_maxpool_f32(const kws_conv2d_maxpool_f32_params_t *p, const float *input, float *output,
                            void *band);
void kws_softmax_f32(const kws_softmax_f32_params_t *p, const float *input, float *output);
void kws_mean_f32(const kws_mean_f32_params_t *p, const float *input, float *output);
void kws_clamp_f32(const kws_clamp_f32_params_t *p, const float *input, float *output);
void kws_pad_f32(const kws_pad_f32_params_t *p, const float *input, float *output);
void kws_concat_f32(const kws_concat_f32_params_t *p, const float *const *inputs, float *output);
void kws_add_f32(const kws_add_f32_params_t *p, const float *input1, const float *input2, float *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_F32_H */
