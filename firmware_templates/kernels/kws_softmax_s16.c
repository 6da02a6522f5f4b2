/* SOFTMAX, int16 -> int16, portable C99 (the reference's table-driven
 * 16-bit softmax: exp of the scaled differences from the row maximum and
 * the reciprocal of their sum both come from interpolated 513-entry tables;
 * the exps are cached in the output row between the two passes). */
#include "kws_softmax_s16.h"
#include "kws_qmath.h"

/* Table lookup at a symmetric int16: the top 9 bits of (v + 32768) pick a
 * segment, the low 7 interpolate linearly to the next entry, rounded. */
static int16_t lut_lookup(int32_t v, const int16_t *lut)
{
    const int32_t u = v + 32768;
    const int32_t index = u >> 7;
    const int32_t base = lut[index];
    const int32_t slope = (int32_t)lut[index + 1] - base;
    return (int16_t)(base + ((slope * (u & 0x7f) + 64) >> 7));
}

void kws_softmax_s16(const kws_softmax_s16_params_t *p, const void *input, void *output)
{
    const int16_t *x = (const int16_t *)input;
    int16_t *y = (int16_t *)output;
    int32_t r;
    int32_t c;
    for (r = 0; r < p->rows; ++r) {
        const int16_t *in = x + (size_t)r * (size_t)p->depth;
        int16_t *out = y + (size_t)r * (size_t)p->depth;
        int32_t max = -32768;
        int32_t sum = 0; /* Q16.15 */
        int32_t headroom;
        int32_t shifted;
        int32_t right_shift;
        int16_t recip;
        for (c = 0; c < p->depth; ++c) {
            max = in[c] > max ? in[c] : max;
        }
        for (c = 0; c < p->depth; ++c) {
            /* [-65535, 0] maps to [-10, 0], recentred on the symmetric range */
            const int32_t scaled = kws_mul_by_quantized_mul((int32_t)in[c] - max, p->multiplier, p->shift);
            const int16_t e = lut_lookup(kws_clamp_i32(scaled + 32767, -32768, 32767), p->exp_lut);
            out[c] = e;
            sum += e;
        }
        /* 1 / sum: normalise the sum to [1, 2) in Q1.15 (x = sum - 1 in
         * [0, 65535], recentred), then the 1 / (1 + x) table */
        headroom = kws_count_leading_zeros_u32((uint32_t)sum);
        shifted = (int32_t)((((int64_t)sum << (headroom - 1)) + (1 << 13)) >> 14);
        recip = lut_lookup(kws_clamp_i32(shifted - 98304, -32768, 32767), p->recip_lut);
        right_shift = 31 - headroom;
        for (c = 0; c < p->depth; ++c) {
            const int64_t v = ((int64_t)out[c] * recip + ((int64_t)1 << (right_shift - 1))) >> right_shift;
            out[c] = (int16_t)(v < 0 ? 0 : (v > 32767 ? 32767 : v));
        }
    }
}
