/* MUL, int8 (and int16), portable C99, with broadcasting over up to four
 * dimensions: the product of the offset inputs, requantized once (the
 * reference's MulElementwise). */
#include "kws_mul_s8.h"
#include "kws_qmath.h"

static int32_t mul_one(const kws_mul_params_t *p, int32_t a, int32_t b)
{
    const int32_t x = (a + p->in1_offset) * (b + p->in2_offset);
    const int32_t out = kws_mul_by_quantized_mul(x, p->mult, p->shift) + p->out_zp;
    return kws_clamp_i32(out, p->act_min, p->act_max);
}

void kws_mul_s8(const kws_mul_params_t *p, const int8_t *input1, const int8_t *input2,
                int8_t *output)
{
    int32_t a, b;
    KWS_BROADCAST_FOR_EACH(&p->shape, a, b, *output++ = (int8_t)mul_one(p, input1[a], input2[b]));
}

void kws_mul_s16(const kws_mul_params_t *p, const void *input1_v, const void *input2_v, void *output_v)
{
    const int16_t *input1 = (const int16_t *)input1_v;
    const int16_t *input2 = (const int16_t *)input2_v;
    int16_t *output = (int16_t *)output_v;
    int32_t a, b;
    KWS_BROADCAST_FOR_EACH(&p->shape, a, b, *output++ = (int16_t)mul_one(p, input1[a], input2[b]));
}
