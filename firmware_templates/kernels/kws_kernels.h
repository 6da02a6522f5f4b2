/* tinykws ahead-of-time int8 kernels: the contract every kernel follows.
 *
 * Each operator family declares its entry points and parameter blocks in its
 * own header (kws_conv_s8.h, kws_pool_s8.h, ...) and implements them in
 * portable C99 files (kws_conv2d_s8.c, ...); generator/model/ops/<family>.py
 * registers them, and the generated model.c includes only the headers of the
 * kernels it calls. An optimized variant (for example a Cortex-M DSP build)
 * provides the same function in its own file and the generator compiles that
 * file instead. Parameter blocks are precomputed on
 * the host (generator/model) and stored as const data next to the weights,
 * so kernels never derive quantization parameters at run time.
 *
 * Conventions shared by all kernels:
 *  - tensors are NHWC, int8 unless stated; *_zp are zero points;
 *  - weighted kernels end in the shared output stage kws_requant_t below;
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
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The output stage of every weighted kernel (convolution, depthwise,
 * fully connected), one block per step, like CMSIS-NN's shared quantization
 * structs: for output channel c with accumulator acc,
 *   out = clamp(requantize(acc + bias[c], mult[c * mult_stride],
 *                          shift[c * mult_stride]) + out_zp, act_min, act_max).
 * bias is folded: bias[c] - in_zp * sum(weights of channel c), so inner loops
 * are bare multiply-accumulates. mult_stride 0 means one multiplier and shift
 * for all channels; shift > 0 shifts left, as in TFLite's QuantizeMultiplier. */
typedef struct {
    const int32_t *bias;
    const int32_t *mult;
    const int8_t *shift;
    int16_t mult_stride;
    int16_t out_zp;
    int16_t act_min, act_max;
} kws_requant_t;

/* Two operands broadcast over up to 4 dimensions (ADD, MUL): the output's
 * dims, and each input's element stride per output dimension (0 where that
 * input is broadcast). */
typedef struct {
    int32_t dims[4];
    int32_t stride1[4];
    int32_t stride2[4];
} kws_broadcast_t;

/* Runs BODY once per output element, in output order, with a and b (int32_t
 * lvalues the caller declares) the element offsets of the two inputs. */
#define KWS_BROADCAST_FOR_EACH(bc, a, b, BODY)                                         \
    do {                                                                               \
        int32_t kws_i0_, kws_i1_, kws_i2_, kws_i3_;                                    \
        for (kws_i0_ = 0; kws_i0_ < (bc)->dims[0]; ++kws_i0_) {                        \
            for (kws_i1_ = 0; kws_i1_ < (bc)->dims[1]; ++kws_i1_) {                    \
                for (kws_i2_ = 0; kws_i2_ < (bc)->dims[2]; ++kws_i2_) {                \
                    (a) = kws_i0_ * (bc)->stride1[0] + kws_i1_ * (bc)->stride1[1] +    \
                          kws_i2_ * (bc)->stride1[2];                                  \
                    (b) = kws_i0_ * (bc)->stride2[0] + kws_i1_ * (bc)->stride2[1] +    \
                          kws_i2_ * (bc)->stride2[2];                                  \
                    for (kws_i3_ = 0; kws_i3_ < (bc)->dims[3]; ++kws_i3_) {            \
                        BODY;                                                          \
                        (a) += (bc)->stride1[3];                                       \
                        (b) += (bc)->stride2[3];                                       \
                    }                                                                  \
                }                                                                      \
            }                                                                          \
        }                                                                              \
    } while (0)

/* The taps [t0, t1) of a window of k taps spaced dil apart, its first at
 * input coordinate origin, that land inside [0, size): the zero padding of
 * the reference kernels is the taps left out. Empty when t0 >= t1. */
typedef struct {
    int t0, t1;
} kws_span_t;

static inline kws_span_t kws_tap_span(int origin, int k, int dil, int size)
{
    kws_span_t s;
    const int room = size - origin;
    s.t0 = origin < 0 ? (dil - 1 - origin) / dil : 0;
    s.t1 = room <= 0 ? 0 : (room + dil - 1) / dil;
    s.t1 = s.t1 < k ? s.t1 : k;
    return s;
}

/* The window of pooling output (oy, ox), clipped to the image as in the
 * reference: rows [y0, y1), columns [x0, x1). KWS_POOL_WINDOW reads any
 * parameter block with the pooling fields (int8, int16 and float32 pools). */
typedef struct {
    int y0, y1, x0, x1;
} kws_window_t;

static inline kws_window_t kws_window_clip(int iy0, int ix0, int k_h, int k_w, int in_h, int in_w)
{
    const kws_span_t ys = kws_tap_span(iy0, k_h, 1, in_h);
    const kws_span_t xs = kws_tap_span(ix0, k_w, 1, in_w);
    kws_window_t w;
    w.y0 = iy0 + ys.t0;
    w.y1 = iy0 + ys.t1;
    w.x0 = ix0 + xs.t0;
    w.x1 = ix0 + xs.t1;
    return w;
}

#define KWS_POOL_WINDOW(p, oy, ox)                                                                 \
    kws_window_clip((oy) * (p)->stride_h - (p)->pad_t, (ox) * (p)->stride_w - (p)->pad_l, (p)->k_h, \
                    (p)->k_w, (p)->in_h, (p)->in_w)

/* The walk PAD shares between element types (kws_pad_s8, kws_pad_f32): the
 * output in address order, one innermost run at a time, each source run
 * moved and the rest filled with the `elem`-byte `value`. */
static inline void kws_pad_fill(uint8_t *out, const void *value, size_t elem, int32_t n)
{
    int32_t k;
    if (elem == 1u) {
        memset(out, *(const uint8_t *)value, (size_t)n);
        return;
    }
    for (k = 0; k < n; ++k) {
        memcpy(out + (size_t)k * elem, value, elem);
    }
}

static inline void kws_pad_walk(const int32_t in_dims[4], const int32_t out_dims[4], const int32_t before[4],
                                size_t elem, const void *value, const void *input, void *output)
{
    const int32_t run = in_dims[3];
    const int32_t left = before[3];
    const int32_t right = out_dims[3] - left - run;
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    int32_t i0, i1, i2;

    for (i0 = 0; i0 < out_dims[0]; ++i0) {
        const int32_t s0 = i0 - before[0];
        const int ok0 = s0 >= 0 && s0 < in_dims[0];
        for (i1 = 0; i1 < out_dims[1]; ++i1) {
            const int32_t s1 = i1 - before[1];
            const int ok1 = ok0 && s1 >= 0 && s1 < in_dims[1];
            for (i2 = 0; i2 < out_dims[2]; ++i2) {
                const int32_t s2 = i2 - before[2];
                if (ok1 && s2 >= 0 && s2 < in_dims[2]) {
                    const size_t src = (size_t)(((s0 * in_dims[1] + s1) * in_dims[2] + s2) * run) * elem;
                    kws_pad_fill(out, value, elem, left);
                    memmove(out + (size_t)left * elem, in + src, (size_t)run * elem);
                    kws_pad_fill(out + (size_t)(left + run) * elem, value, elem, right);
                } else {
                    kws_pad_fill(out, value, elem, out_dims[3]);
                }
                out += (size_t)out_dims[3] * elem;
            }
        }
    }
}

#ifdef __cplusplus
}
#endif

#endif /* KWS_KERNELS_H */
