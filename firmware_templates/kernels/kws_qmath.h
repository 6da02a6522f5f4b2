/* Integer arithmetic shared by the int8 kernels.
 *
 * These helpers reproduce, bit for bit, the fixed-point primitives TensorFlow
 * Lite Micro's reference kernels use (the gemmlowp "doubling high multiply",
 * rounding power-of-two division and the double-rounding requantization).
 * Everything is plain C99. Right shifts of negative values are assumed
 * arithmetic (true for GCC and Clang on every target we
 * build for) and that converting an out-of-range unsigned value to a signed
 * type wraps modulo 2^N (GCC documents this as its implementation-defined
 * behaviour).
 */
#ifndef KWS_QMATH_H
#define KWS_QMATH_H

#include <stdint.h>

#if defined(__GNUC__)
#define KWS_INLINE static inline __attribute__((always_inline))
#else
#define KWS_INLINE static inline
#endif

/* round(a * b / 2^31) with ties away from zero, saturating the single
 * overflow case (INT32_MIN * INT32_MIN). The division truncates toward zero
 * after adding a sign-dependent nudge, exactly like gemmlowp. */
KWS_INLINE int32_t kws_sat_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    int64_t ab;
    int64_t nudge;
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    ab = (int64_t)a * (int64_t)b;
    nudge = ab >= 0 ? (int64_t)(1 << 30) : (int64_t)(1 - (1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero; 0 <= exponent <= 31. */
KWS_INLINE int32_t kws_rounding_divide_by_pot(int32_t x, int exponent)
{
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * 2^shift computed in 32-bit two's complement (wraps like the reference
 * on every real target, without signed-overflow undefined behaviour). */
KWS_INLINE int32_t kws_shl_wrap(int32_t x, int shift)
{
    return (int32_t)((uint32_t)x << shift);
}

/* Requantize an accumulator: x * multiplier * 2^shift with the reference's
 * double rounding (a rounding doubling high multiply, then a rounding shift).
 * multiplier must be in [0, 2^31) and shift in [-31, 30], which the generator
 * guarantees. For such a multiplier the high multiply never saturates and
 * equals floor((x * multiplier + 2^30) / 2^31) exactly (the reference's
 * sign-dependent nudge followed by a truncating division is the same
 * function), so it is computed with one 64-bit multiply-add and a shift. */
KWS_INLINE int32_t kws_mul_by_quantized_mul(int32_t x, int32_t multiplier, int shift)
{
    const int left_shift = shift > 0 ? shift : 0;
    const int right_shift = shift > 0 ? 0 : -shift;
    const int64_t prod = (int64_t)kws_shl_wrap(x, left_shift) * (int64_t)multiplier;
    const int32_t high = (int32_t)((prod + ((int64_t)1 << 30)) >> 31);
    return kws_rounding_divide_by_pot(high, right_shift);
}

/* The reference's 64-bit requantization (16x8 kernels, whose accumulators
 * are int64): the multiplier rounded to 16 bits, one rounding shift, the
 * result truncated to int32. shift < 8 (the generator checks) and |acc| below
 * 2^47 keep the product inside int64. */
KWS_INLINE int32_t kws_mul_by_quantized_mul_wide(int64_t acc, int32_t multiplier, int shift)
{
    const int64_t reduced = multiplier < 0x7FFF0000 ? (int64_t)((multiplier + (1 << 15)) >> 16) : 0x7FFF;
    const int total = 15 - shift;
    return (int32_t)(uint32_t)(uint64_t)((acc * reduced + ((int64_t)1 << (total - 1))) >> total);
}

/* Saturating x * 2^exponent for 0 < exponent < 31 (gemmlowp's
 * SaturatingRoundingMultiplyByPOT with a positive exponent). */
KWS_INLINE int32_t kws_sat_mul_by_pot(int32_t x, int exponent)
{
    const int32_t threshold = (int32_t)(((int32_t)1 << (31 - exponent)) - 1);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return kws_shl_wrap(x, exponent);
}

/* The common output stage: requantize an int32 accumulator, add the output
 * zero point and clamp to the activation range. */
KWS_INLINE int8_t kws_requantize_s8(int32_t acc, int32_t multiplier, int shift, int32_t out_zp,
                                    int32_t act_min, int32_t act_max)
{
    int32_t v = kws_mul_by_quantized_mul(acc, multiplier, shift);
    v = (int32_t)((uint32_t)v + (uint32_t)out_zp);
    v = v < act_min ? act_min : v;
    v = v > act_max ? act_max : v;
    return (int8_t)v;
}

KWS_INLINE int32_t kws_clamp_i32(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* 32-bit wrapping add/sub (gemmlowp's raw fixed-point + and -). */
KWS_INLINE int32_t kws_add_wrap(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

KWS_INLINE int32_t kws_sub_wrap(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

KWS_INLINE int kws_count_leading_zeros_u32(uint32_t x)
{
#if defined(__GNUC__)
    return x == 0u ? 32 : __builtin_clz(x);
#else
    int n = 0;
    if (x == 0u) {
        return 32;
    }
    while ((x & 0x80000000u) == 0u) {
        x <<= 1;
        ++n;
    }
    return n;
#endif
}

#endif /* KWS_QMATH_H */
