/* tinykws ahead-of-time int8 kernels: the one interface every kernel
 * implementation provides.
 *
 * Each operator has exactly one entry point below. The portable C99
 * implementation lives in kws_<op>.c; an optimized variant (for example a
 * Cortex-M DSP build) provides the same function in its own file and the
 * generator compiles that file instead. Parameter blocks are precomputed on
 * the host (generator/model) and stored as const data next to the weights,
 * so kernels never derive quantization parameters at run time.
 *
 * Conventions shared by all kernels:
 *  - tensors are NHWC, int8 unless stated; *_zp are zero points;
 *  - per-channel requantization uses mult[c * mult_stride] and
 *    shift[c * mult_stride] (mult_stride 0 means one value for all channels);
 *    shift > 0 shifts left, as in TFLite's QuantizeMultiplier;
 *  - outputs are written in increasing address order, and all input bytes an
 *    output element depends on are read before that element is written. The
 *    generator's memory planner relies on this to overlap an operator's
 *    output with the tail of its dying input (see docs/runtime.md), so an
 *    optimized variant must keep the same write order and never read input
 *    bytes below the last byte it has written;
 *  - no kernel allocates memory; scratch space, when needed, is passed in.
 */
#ifndef KWS_KERNELS_H
#define KWS_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CONV_2D. Weights are [out_c][k_h][k_w][in_c / groups]. bias holds the
 * folded bias: bias[c] - in_zp * sum(weights of channel c), so that padding
 * positions behave as inputs equal to in_zp. col is scratch of
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
    int16_t mult_stride;
    int16_t in_zp, out_zp;
    int16_t act_min, act_max;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *mult;
    const int8_t *shift;
} kws_conv2d_params_t;

void kws_conv2d_s8(const kws_conv2d_params_t *p, const int8_t *input, int8_t *output,
                   int8_t *col);

/* DEPTHWISE_CONV_2D with any depth multiplier. Weights are re-ordered to
 * [out_c][k_h][k_w] (out_c = in_c * depth_mult); bias is folded as above. */
typedef struct {
    int16_t batches;
    int16_t in_h, in_w, in_c;
    int16_t out_h, out_w, depth_mult;
    int16_t k_h, k_w;
    int16_t stride_h, stride_w;
    int16_t dil_h, dil_w;
    int16_t pad_t, pad_l;
    int16_t mult_stride;
    int16_t in_zp, out_zp;
    int16_t act_min, act_max;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *mult;
    const int8_t *shift;
} kws_dwconv2d_params_t;

void kws_dwconv2d_s8(const kws_dwconv2d_params_t *p, const int8_t *input, int8_t *output);

/* FULLY_CONNECTED. Weights [out_c][depth]; bias folded as above. */
typedef struct {
    int32_t batches;
    int32_t depth;
    int32_t out_c;
    int16_t mult_stride;
    int16_t out_zp;
    int16_t act_min, act_max;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *mult;
    const int8_t *shift;
} kws_fc_params_t;

void kws_fully_connected_s8(const kws_fc_params_t *p, const int8_t *input, int8_t *output);

/* AVERAGE_POOL_2D / MAX_POOL_2D (input and output share scale and zero
 * point; the window is clipped to the image, as in the reference). */
typedef struct {
    int16_t batches;
    int16_t in_h, in_w, channels;
    int16_t out_h, out_w;
    int16_t k_h, k_w;
    int16_t stride_h, stride_w;
    int16_t pad_t, pad_l;
    int16_t act_min, act_max;
} kws_pool_params_t;

/* Window of pooling output (oy, ox), clipped to the image: both pooling
 * kernels visit exactly the pixels the reference visits. */
typedef struct {
    int y0, y1, x0, x1;
} kws_pool_window_t;

static inline kws_pool_window_t kws_pool_window(const kws_pool_params_t *p, int oy, int ox)
{
    kws_pool_window_t w;
    const int iy0 = oy * p->stride_h - p->pad_t;
    const int ix0 = ox * p->stride_w - p->pad_l;
    w.y0 = iy0 < 0 ? 0 : iy0;
    w.x0 = ix0 < 0 ? 0 : ix0;
    w.y1 = iy0 + p->k_h < p->in_h ? iy0 + p->k_h : p->in_h;
    w.x1 = ix0 + p->k_w < p->in_w ? ix0 + p->k_w : p->in_w;
    return w;
}

void kws_avgpool_s8(const kws_pool_params_t *p, const int8_t *input, int8_t *output);
void kws_maxpool_s8(const kws_pool_params_t *p, const int8_t *input, int8_t *output);

/* MEAN over a contiguous run of axes: the input is viewed as
 * [outer][reduce][inner] and the output as [outer][inner].
 * sum_offset = in_zp * reduce; mult/shift already include 1/reduce. */
typedef struct {
    int32_t outer, reduce, inner;
    int32_t sum_offset;
    int32_t mult;
    int16_t shift;
    int16_t out_zp;
} kws_mean_params_t;

void kws_mean_s8(const kws_mean_params_t *p, const int8_t *input, int8_t *output);

/* ADD with broadcasting over up to 4 dimensions. stride1/stride2 are the
 * element strides of each input for every output dimension (0 where the
 * input is broadcast). */
typedef struct {
    int32_t dims[4];
    int32_t stride1[4];
    int32_t stride2[4];
    int16_t in1_offset, in2_offset;
    int16_t left_shift;
    int16_t out_zp;
    int16_t act_min, act_max;
    int32_t mult1, mult2, mult_out;
    int16_t shift1, shift2, shift_out;
} kws_add_params_t;

void kws_add_s8(const kws_add_params_t *p, const int8_t *input1, const int8_t *input2,
                int8_t *output);

/* SOFTMAX over the last axis, int8 in, int8 out (scale 1/256, zero point
 * -128). exp_table[d] is the Q0.31 value of exp(-beta * scale * d) as the
 * reference computes it, for d = max - x in [0, table_len); differences
 * beyond the table contribute nothing and yield -128. */
typedef struct {
    int32_t rows;
    int32_t depth;
    int32_t table_len;
    const int32_t *exp_table;
} kws_softmax_params_t;

void kws_softmax_s8(const kws_softmax_params_t *p, const int8_t *input, int8_t *output);

/* Any elementwise int8 -> int8 function (LOGISTIC, TANH, RELU, RELU6,
 * requantizing QUANTIZE): out[i] = lut[(uint8_t)in[i]]. */
void kws_lut_s8(const int8_t *lut, const int8_t *input, int8_t *output, int32_t count);

/* PAD / PADV2 on up to 4 dimensions with a constant value. */
typedef struct {
    int32_t in_dims[4];
    int32_t out_dims[4];
    int32_t before[4];
    int16_t value;
} kws_pad_params_t;

void kws_pad_s8(const kws_pad_params_t *p, const int8_t *input, int8_t *output);

/* CONCATENATION: output viewed as [outer][sum(axis_bytes)]; input i
 * contributes axis_bytes[i] bytes to every outer row. */
typedef struct {
    int32_t outer;
    int32_t count;
    const int32_t *axis_bytes;
} kws_concat_params_t;

void kws_concat_s8(const kws_concat_params_t *p, const int8_t *const *inputs, int8_t *output);

/* QUANTIZE float32 -> int8 and DEQUANTIZE int8 -> float32 at the model's
 * edges, with the reference's single-precision arithmetic. */
void kws_quantize_f32_s8(const float *input, int8_t *output, int32_t count, float scale,
                         int32_t zero_point);
void kws_dequantize_s8_f32(const int8_t *input, float *output, int32_t count, float scale,
                           int32_t zero_point);

#ifdef __cplusplus
}
#endif

#endif /* KWS_KERNELS_H */
