#ifndef KWS_REQUANT_S16_H
#define KWS_REQUANT_S16_H

#include "kws_kernels.h"
#include "kws_qmath.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The output stage of the 16x8 weighted kernels (int16 activations with
 * zero points 0, int8 weights). TFLite Micro accumulates in 64 bits with an
 * int64 bias (the converter's default) and requantizes with the 64-bit
 * MultiplyByQuantizedMultiplier, whose multiplier is first rounded to 16
 * bits; with an int32 bias (CONV_2D and FULLY_CONNECTED only) it
 * accumulates in 32 bits and requantizes like the int8 kernels. The kernels
 * always sum exactly in 64 bits: the 32-bit sum is that sum wrapped. For
 * output channel c:
 *   out = clamp(requantize(acc + bias[c], mult[c * mult_stride],
 *                          shift[c * mult_stride]), act_min, act_max).
 * No zero points and no folded bias (padding taps are skipped, not filled).
 * The generator keeps |acc| below 2^47 and shift below 8 on the 64-bit path,
 * the reference's own preconditions, so its products cannot overflow. */
typedef struct {
    const int64_t *bias;   /* 64-bit accumulation: [out_c], or NULL */
    const int32_t *bias32; /* 32-bit accumulation: [out_c], or NULL */
    const int32_t *mult;
    const int32_t *shift;
    int32_t mult_stride; /* 0: one multiplier for every channel */
    int32_t act_min, act_max;
    int32_t acc32; /* 1: 32-bit accumulation (an int32 bias, or quantized_bias_type INT32) */
    int32_t smmulr; /* 1: the DSP kernels' one-instruction stage (kws_dot_s16_dsp.h): the
                       64-bit path with bias32 and mult re-computed for SMMULR */
} kws_requant_s16_t;

KWS_INLINE int16_t kws_requant_s16_out(const kws_requant_s16_t *rq, int32_t c, int64_t acc)
{
    const int32_t k = c * rq->mult_stride;
    int32_t v;
    if (rq->acc32) {
        uint32_t wrapped = (uint32_t)(uint64_t)acc;
        if (rq->bias32 != NULL) {
            wrapped += (uint32_t)rq->bias32[c];
        }
        v = kws_mul_by_quantized_mul((int32_t)wrapped, rq->mult[k], rq->shift[k]);
    } else {
        if (rq->bias != NULL) {
            acc += rq->bias[c];
        }
        v = kws_mul_by_quantized_mul_wide(acc, rq->mult[k], (int)rq->shift[k]);
    }
    return (int16_t)kws_clamp_i32(v, rq->act_min, rq->act_max);
}

#ifdef __cplusplus
}
#endif

#endif /* KWS_REQUANT_S16_H */
