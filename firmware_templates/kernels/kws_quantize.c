/* QUANTIZE (float32 -> int8) and DEQUANTIZE (int8 -> float32) at the edges
 * of a model, in single precision like the reference: q = round(x / scale)
 * + zero_point with ties away from zero, and x = scale * (q - zero_point). */
#include "kws_quantize.h"
#include "kws_qmath.h"

/* Round half away from zero for |v| <= 2^24 (larger values are clamped by the
 * caller first), without libm. */
static int32_t round_away(float v)
{
    const int32_t t = (int32_t)v; /* truncates toward zero */
    const float frac = v - (float)t;
    if (frac >= 0.5f) {
        return t + 1;
    }
    if (frac <= -0.5f) {
        return t - 1;
    }
    return t;
}

void kws_quantize_f32_s8(const float *input, int8_t *output, int32_t count, float scale,
                         int32_t zero_point)
{
    int32_t i;
    for (i = 0; i < count; ++i) {
        float v = input[i] / scale;
        int32_t q;
        /* Anything beyond +-2^20 saturates after the zero point anyway; NaN
         * maps to the minimum like the reference on x86 hosts. */
        if (!(v > -1048576.0f)) {
            v = -1048576.0f;
        } else if (v > 1048576.0f) {
            v = 1048576.0f;
        }
        q = round_away(v) + zero_point;
        output[i] = (int8_t)(q < -128 ? -128 : (q > 127 ? 127 : q));
    }
}

void kws_dequantize_s8_f32(const int8_t *input, float *output, int32_t count, float scale,
                           int32_t zero_point)
{
    int32_t i;
    for (i = 0; i < count; ++i) {
        output[i] = scale * (float)((int32_t)input[i] - zero_point);
    }
}

/* QUANTIZE from int16 (TFLite Micro's Requantize): (x - in_zp) through
 * MultiplyByQuantizedMultiplier, plus out_zp, clamped to the output type. */
void kws_requantize_s16_s8(const void *input, int8_t *output, int32_t count, int32_t in_zp,
                           int32_t multiplier, int32_t shift, int32_t out_zp)
{
    const int16_t *x = (const int16_t *)input;
    int32_t i;
    for (i = 0; i < count; ++i) {
        int32_t v = kws_mul_by_quantized_mul((int32_t)x[i] - in_zp, multiplier, shift);
        v = (int32_t)((uint32_t)v + (uint32_t)out_zp);
        output[i] = (int8_t)kws_clamp_i32(v, -128, 127);
    }
}

void kws_requantize_s16_s32(const void *input, void *output, int32_t count, int32_t in_zp,
                            int32_t multiplier, int32_t shift, int32_t out_zp)
{
    const int16_t *x = (const int16_t *)input;
    int32_t *y = (int32_t *)output;
    int32_t i;
    for (i = 0; i < count; ++i) {
        const int64_t v = (int64_t)kws_mul_by_quantized_mul((int32_t)x[i] - in_zp, multiplier, shift) + out_zp;
        y[i] = (int32_t)(v < INT32_MIN ? INT32_MIN : (v > INT32_MAX ? INT32_MAX : v));
    }
}
