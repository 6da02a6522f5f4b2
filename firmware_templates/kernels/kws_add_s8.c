/* ADD, int8 (and int16), portable C99, with broadcasting over up to four
 * dimensions. Both inputs are brought to a common scale with 20 bits of
 * headroom (15 for int16), summed and requantized, exactly as the
 * reference's AddFunc. */
#include "kws_add_s8.h"
#include "kws_qmath.h"

static int32_t add_one(const kws_add_params_t *p, int32_t a, int32_t b)
{
    const int32_t sa = kws_shl_wrap(a + p->in1_offset, p->left_shift);
    const int32_t sb = kws_shl_wrap(b + p->in2_offset, p->left_shift);
    const int32_t ra = kws_mul_by_quantized_mul(sa, p->mult1, p->shift1);
    const int32_t rb = kws_mul_by_quantized_mul(sb, p->mult2, p->shift2);
    int32_t out = kws_mul_by_quantized_mul(kws_add_wrap(ra, rb), p->mult_out, p->shift_out);
    out = kws_add_wrap(out, p->out_zp);
    return kws_clamp_i32(out, p->act_min, p->act_max);
}

void kws_add_s8(const kws_add_params_t *p, const int8_t *input1, const int8_t *input2,
                int8_t *output)
{
    int32_t a, b;
    KWS_BROADCAST_FOR_EACH(&p->shape, a, b, *output++ = (int8_t)add_one(p, input1[a], input2[b]));
}

void kws_add_s16(const kws_add_params_t *p, const void *input1_v, const void *input2_v, void *output_v)
{
    const int16_t *input1 = (const int16_t *)input1_v;
    const int16_t *input2 = (const int16_t *)input2_v;
    int16_t *output = (int16_t *)output_v;
    int32_t a, b;
    KWS_BROADCAST_FOR_EACH(&p->shape, a, b, *output++ = (int16_t)add_one(p, input1[a], input2[b]));
}
