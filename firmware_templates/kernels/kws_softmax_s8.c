/* SOFTMAX, int8 -> int8 or int8 -> int16, portable C99.
 *
 * exp() of each (x - max) comes from a per-model table of the reference's
 * Q0.31 values (computed on the host with the same fixed-point algorithm);
 * the sum is kept in Q12.19, its reciprocal is found with the reference's
 * Newton-Raphson iteration, and every output is one rounding multiply. */
#include "kws_softmax_s8.h"
#include "kws_qmath.h"

/* 1 / (1 + a) for a in [0, 1), all in Q0.31 (gemmlowp's
 * one_over_one_plus_x_for_x_in_0_1). */
static int32_t one_over_one_plus_x(int32_t a)
{
    /* half_denominator = (a + 1) / 2, rounded half away from zero. */
    const int64_t sum = (int64_t)a + (int64_t)INT32_MAX;
    const int32_t half_den = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t one_q2 = (int32_t)1 << 29; /* 1.0 in Q2.29 */
    int32_t x;
    int i;

    x = kws_add_wrap(1515870810, kws_sat_rounding_doubling_high_mul(half_den, -1010580540));
    for (i = 0; i < 3; ++i) {
        const int32_t hdx = kws_sat_rounding_doubling_high_mul(half_den, x);
        const int32_t one_minus = kws_sub_wrap(one_q2, hdx);
        x = kws_add_wrap(x, kws_sat_mul_by_pot(kws_sat_rounding_doubling_high_mul(x, one_minus), 2));
    }
    return kws_sat_mul_by_pot(x, 1);
}

/* One kernel for both output types: out_bits 8 (int8_t output, zero point
 * -128) or 16 (int16_t output, zero point -32768), as the reference's
 * Softmax<OutputT> shifts by num_bits_over_unit + 31 - 8 * sizeof(OutputT). */
static void softmax_rows(const kws_softmax_params_t *p, const int8_t *input, void *output, int out_bits)
{
    const int32_t depth = p->depth;
    const int32_t len = p->table_len;
    const int32_t *table = p->exp_table;
    const int32_t out_min = out_bits == 8 ? -128 : INT16_MIN;
    const int32_t out_max = out_bits == 8 ? 127 : INT16_MAX;
    int8_t *out8 = (int8_t *)output;
    int16_t *out16 = (int16_t *)output;
    int32_t r;
    int32_t c;

    for (r = 0; r < p->rows; ++r) {
        int32_t max = -128;
        int32_t sum = 0;
        int headroom;
        int exponent;
        int32_t scale;
        for (c = 0; c < depth; ++c) {
            if (input[c] > max) {
                max = input[c];
            }
        }
        for (c = 0; c < depth; ++c) {
            const int32_t d = max - input[c];
            if (d < len) {
                sum += kws_rounding_divide_by_pot(table[d], 12);
            }
        }
        /* sum >= 2^19 (the maximum contributes exp(0)), so 1 <= headroom <= 12. */
        headroom = kws_count_leading_zeros_u32((uint32_t)sum);
        scale = one_over_one_plus_x(
            (int32_t)(((uint32_t)sum << headroom) - ((uint32_t)1 << 31)));
        exponent = (12 - headroom) + 31 - out_bits;
        for (c = 0; c < depth; ++c) {
            const int32_t d = max - input[c];
            int32_t out = out_min;
            if (d < len) {
                out = kws_rounding_divide_by_pot(
                          kws_sat_rounding_doubling_high_mul(scale, table[d]), exponent) +
                      out_min;
                out = kws_clamp_i32(out, out_min, out_max);
            }
            if (out_bits == 8) {
                out8[r * depth + c] = (int8_t)out;
            } else {
                out16[r * depth + c] = (int16_t)out;
            }
        }
        input += depth;
    }
}

void kws_softmax_s8(const kws_softmax_params_t *p, const int8_t *input, int8_t *output)
{
    softmax_rows(p, input, output, 8);
}

void kws_softmax_s8_s16(const kws_softmax_params_t *p, const int8_t *input, void *output)
{
    softmax_rows(p, input, output, 16);
}
