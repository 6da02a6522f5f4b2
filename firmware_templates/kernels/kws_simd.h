/* The few Cortex-M DSP-extension instructions the *_dsp kernels use, as
 * inline functions.
 *
 * On a core with the DSP extension (Cortex-M4, M7, M33, M55) each is one
 * instruction, from ACLE's arm_acle.h (GCC 12 has no __ror, and
 * __sxtb16(__ror(x, 8)) compiles to two instructions, so the rotated form is
 * one line of inline assembly). Elsewhere (the host) each is plain C with the
 * same result, so the DSP kernels also build for the host, where the tests
 * run them bit for bit against TensorFlow Lite Micro under ASan/UBSan. An
 * Arm core without the extension cannot build them: the generator only
 * selects the DSP kernels for cores whose table entry says "dsp".
 *
 * Halfword lanes: lo = bits 0..15, hi = bits 16..31, both signed. */
#ifndef KWS_SIMD_H
#define KWS_SIMD_H

#include <stdint.h>
#include <string.h>

#include "kws_qmath.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>

/* bytes 0 and 2, sign-extended to the two halfwords */
KWS_INLINE uint32_t kws_sxtb16(uint32_t x)
{
    return __sxtb16(x);
}

/* bytes 1 and 3, sign-extended to the two halfwords */
KWS_INLINE uint32_t kws_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* acc + lo(a) * lo(b) + hi(a) * hi(b) */
KWS_INLINE int32_t kws_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlad(a, b, acc);
}

/* (a * b + 2^31) >> 32, the rounded high word */
KWS_INLINE int32_t kws_smmulr(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* acc + lo(a) * lo(b) */
KWS_INLINE int32_t kws_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlabb(a, b, acc);
}

/* acc + hi(a) * hi(b) */
KWS_INLINE int32_t kws_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlatt(a, b, acc);
}

/* two consecutive words of a word-aligned array, stepping past them: one
 * LDRD with write-back (GCC pairs the two loads only sometimes) */
KWS_INLINE void kws_load2(const uint32_t **p, uint32_t *a, uint32_t *b)
{
    __asm__("ldrd %0, %1, [%2], #8" : "=r"(*a), "=r"(*b), "+r"(*p) : "m"(*(const uint32_t(*)[2]) * p));
}

#elif defined(__arm__) || defined(__thumb__)
#error "the *_dsp kernels need a core with the DSP extension; the generator selects them only for such cores"
#else

KWS_INLINE int32_t kws_lo16(uint32_t x)
{
    return (int16_t)(uint16_t)(x & 0xffffu);
}

KWS_INLINE int32_t kws_hi16(uint32_t x)
{
    return (int16_t)(uint16_t)(x >> 16);
}

KWS_INLINE uint32_t kws_sxtb16(uint32_t x)
{
    const uint32_t lo = (uint32_t)(int32_t)(int8_t)(uint8_t)(x & 0xffu) & 0xffffu;
    const uint32_t hi = (uint32_t)(int32_t)(int8_t)(uint8_t)((x >> 16) & 0xffu) & 0xffffu;
    return lo | (hi << 16);
}

KWS_INLINE uint32_t kws_sxtb16_ror8(uint32_t x)
{
    return kws_sxtb16((x >> 8) | (x << 24));
}

KWS_INLINE int32_t kws_smmulr(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 31)) >> 32);
}

KWS_INLINE void kws_load2(const uint32_t **p, uint32_t *a, uint32_t *b)
{
    *a = (*p)[0];
    *b = (*p)[1];
    *p += 2;
}

/* the instructions wrap modulo 2^32 (they only set the Q flag) */
KWS_INLINE int32_t kws_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    const uint32_t p = (uint32_t)(kws_lo16(a) * kws_lo16(b)) + (uint32_t)(kws_hi16(a) * kws_hi16(b));
    return (int32_t)((uint32_t)acc + p);
}

KWS_INLINE int32_t kws_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(kws_lo16(a) * kws_lo16(b)));
}

KWS_INLINE int32_t kws_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(kws_hi16(a) * kws_hi16(b)));
}

#endif

/* kws_requantize_s8 (kws_qmath.h) in fewer instructions, for the
 * accumulators and shifts of the steps the generator gives a DSP kernel:
 * |acc| < 2^30 and a right shift r >= 1 (generator/model/ops/dsp.py proves
 * both from the weights, the folded bias and the shifts, and keeps the
 * portable kernel otherwise). Then 2 * acc does not overflow and
 * SMMULR(2 * acc, mult) = floor((acc * mult + 2^30) / 2^31), the high
 * multiply exactly; TFLite's rounding division by 2^r (ties away from zero)
 * is ((h >> (r - 1)) + 1) >> 1 with h = high - (high < 0), and adding the
 * output zero point z before the last shift is adding 2z to the dividend.
 * So the DSP steps store r - 1 where the portable ones store the shift
 * (dsp.py), and the kernels pass k = 1 + 2z. */
KWS_INLINE int8_t kws_requantize_dsp(int32_t acc, int32_t mult, int r_minus_1, int32_t k,
                                     int32_t act_min, int32_t act_max)
{
    const int32_t high = kws_smmulr(acc * 2, mult);
    int32_t v = ((high + (high >> 31)) >> r_minus_1) + k;
    v >>= 1;
    v = v < act_min ? act_min : v;
    v = v > act_max ? act_max : v;
    return (int8_t)v;
}

/* Four bytes from any address as one word (a single LDR on the Cortex-M
 * cores, which load unaligned words). */
KWS_INLINE uint32_t kws_read_u32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

#endif /* KWS_SIMD_H */
