/* MEAN over a contiguous run of axes, int8, portable C99. The sum of each
 * reduced run is requantized once with a multiplier that already contains
 * 1/count, as the reference does (no per-element division). */
#include "kws_mean_s8.h"
#include "kws_qmath.h"

void kws_mean_s8(const kws_mean_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t reduce = p->reduce;
    const int32_t inner = p->inner;
    int32_t o;
    int32_t i;
    int32_t r;

    for (o = 0; o < p->outer; ++o) {
        const int8_t *base = input + (size_t)o * (size_t)reduce * (size_t)inner;
        for (i = 0; i < inner; ++i) {
            int32_t sum = 0;
            int32_t idx = i;
            int32_t out;
            for (r = 0; r < reduce; ++r, idx += inner) {
                sum += base[idx];
            }
            out = kws_mul_by_quantized_mul(kws_sub_wrap(sum, p->sum_offset), p->mult, p->shift);
            out = kws_add_wrap(out, p->out_zp);
            *output++ = (int8_t)kws_clamp_i32(out, -128, 127);
        }
    }
}
