/* MUL, int8, portable C99, with broadcasting over up to four dimensions:
 * the product of the offset inputs, requantized once (the reference's
 * MulElementwise). */
#include "kws_mul_s8.h"
#include "kws_qmath.h"

void kws_mul_s8(const kws_mul_params_t *p, const int8_t *input1, const int8_t *input2,
                int8_t *output)
{
    int32_t i0;
    int32_t i1;
    int32_t i2;
    int32_t i3;
    for (i0 = 0; i0 < p->dims[0]; ++i0) {
        for (i1 = 0; i1 < p->dims[1]; ++i1) {
            for (i2 = 0; i2 < p->dims[2]; ++i2) {
                int32_t a = i0 * p->stride1[0] + i1 * p->stride1[1] + i2 * p->stride1[2];
                int32_t b = i0 * p->stride2[0] + i1 * p->stride2[1] + i2 * p->stride2[2];
                for (i3 = 0; i3 < p->dims[3]; ++i3) {
                    const int32_t x = (input1[a] + p->in1_offset) * (input2[b] + p->in2_offset);
                    int32_t out = kws_mul_by_quantized_mul(x, p->mult, p->shift) + p->out_zp;
                    *output++ = (int8_t)kws_clamp_i32(out, p->act_min, p->act_max);
                    a += p->stride1[3];
                    b += p->stride2[3];
                }
            }
        }
    }
}
