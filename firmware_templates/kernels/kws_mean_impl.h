/* The integer MEAN loop, written once and instantiated per element type
 * (kws_mean_s8.c, kws_mean_s16.c): the reference's QuantizedMeanOrSum is one
 * template over the element type, with an int32 sum and the clamp to the
 * type's range. */
#ifndef KWS_MEAN_IMPL_H
#define KWS_MEAN_IMPL_H

#include "kws_mean_s8.h"
#include "kws_qmath.h"

/* Defines `static void NAME(const kws_mean_params_t *p, const T *input,
 * T *output)`: the sum of each reduced run is requantized once with a
 * multiplier that already contains 1/count, as the reference does (no
 * per-element division), then clamped to [LO, HI]. */
#define KWS_DEFINE_MEAN(NAME, T, LO, HI)                                                                \
    static void NAME(const kws_mean_params_t *p, const T *input, T *output)                             \
    {                                                                                                   \
        const int32_t reduce = p->reduce;                                                               \
        const int32_t inner = p->inner;                                                                 \
        int32_t o, i, r;                                                                                \
        for (o = 0; o < p->outer; ++o) {                                                                \
            const T *base = input + (size_t)o * (size_t)reduce * (size_t)inner;                         \
            for (i = 0; i < inner; ++i) {                                                               \
                int32_t sum = 0;                                                                        \
                int32_t idx = i;                                                                        \
                int32_t out;                                                                            \
                for (r = 0; r < reduce; ++r, idx += inner) {                                            \
                    sum += base[idx];                                                                   \
                }                                                                                       \
                out = kws_mul_by_quantized_mul(kws_sub_wrap(sum, p->sum_offset), p->mult, p->shift);    \
                out = kws_add_wrap(out, p->out_zp);                                                     \
                *output++ = (T)kws_clamp_i32(out, (LO), (HI));                                          \
            }                                                                                           \
        }                                                                                               \
    }

#endif /* KWS_MEAN_IMPL_H */
