/* QUANTIZE (float32 -> int8 or int16) and DEQUANTIZE (int8 or int16 ->
 * float32) at the edges of a model, in single precision like the reference: q = round(x / scale)
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

/* x / scale rounded half away from zero, plus the zero point, clamped to
 * [lo, hi]. */
static int32_t quantize_one(float x, float scale, int32_t zero_point, int32_t lo, int32_t hi)
{
    float v = x / scale;
    int32_t q;
    /* Anything beyond +-2^20 saturates after the zero point anyway; NaN
     * maps to the minimum like the reference on x86 hosts. */
    if (!(v > -1048576.0f)) {
        v = -1048576.0f;
    } else if (v > 1048576.0f) {
        v = 1048576.0f;
    }
    q = round_away(v) + zero_point;
    return q < lo ? lo : (q > hi ? hi : q);
}

void kws_quantize_f32_s8(const float *input, int8_t *output, int32_t count, float scale,
                         int32_t zero_point)
{
    int32_t i;
    for (i = 0; i < count; ++i) {
        output[i] = (int8_t)quantize_one(input[i], scale, zero_point, -128, 127);
    }
}

void kws_quantize_f32_s16(const float *input, void *output, int32_t count, float scale,
                          int32_t zero_point)
{
    int16_t *y = (int16_t *)output;
    int32_t i;
    for (i = 0; i < count; ++i) {
        y[i] = (int16_t)quantize_one(input[i], scale, zero_point, -32768, 32767);
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

/* The reference multiplies in double and rounds to float; the product of a
 * float scale and an integer below 2^24 is exact in double, so one float
 * multiply rounds to the same value. */
void kws_dequantize_s16_f32(const void *input, float *output, int32_t count, float scale,
                            int32_t zero_point)
{
    const int16_t *x = (const int16_t *)input;
    int32_t i;
    for (i = 0; i < count; ++i) {
        output[i] = scale * (float)((int32_t)x[i] - zero_point);
    }
}

/* QUANTIZE from int16 (TFLite Micro's Requantize): (x - in_zp) through
 * MultiplyByQuantizedMultiplier, plus out_zp, clamped to the output type. */
/* The reference's Requantize of one int16 value, before the clamp to the
 * output type (int8 and int16 outputs: the sum cannot leave int32). */
static int32_t requantize_s16(int16_t x, int32_t in_zp, int32_t multiplier, int32_t shift, int32_t out_zp)
{
    return kws_add_wrap(kws_mul_by_quantized_mul((int32_t)x - in_zp, multiplier, shift), out_zp);
}

void kws_requantize_s16_s8(const void *input, int8_t *output, int32_t count, int32_t in_zp,
                           int32_t multiplier, int32_t shift, int32_t out_zp)
{
    const int16_t *x = (const int16_t *)input;
    int32_t i;
    for (i = 0; i < count; ++i) {
        output[i] = (int8_t)kws_clamp_i32(requantize_s16(x[i], in_zp, multiplier, shift, out_zp), -128, 127);
    }
}

void kws_requantize_s16_s16(const void *input, void *output, int32_t count, int32_t in_zp,
                            int32_t multiplier, int32_t shift, int32_t out_zp)
{
    const int16_t *x = (const int16_t *)input;
    int16_t *y = (int16_t *)output;
    int32_t i;
    for (i = 0; i < count; ++i) {
        y[i] = (int16_t)kws_clamp_i32(requantize_s16(x[i], in_zp, multiplier, shift, out_zp), -32768, 32767);
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
