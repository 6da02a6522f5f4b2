/* ADD, int8, for cores with the DSP extension: inputs and output of one
 * shape (no broadcasting; the generator keeps broadcasts on kws_add_s8.c).
 *
 * The reference's AddFunc, element by element: each input plus its offset,
 * shifted left by 20, scaled by its multiplier; the sum scaled by the output
 * multiplier. |input + offset| <= 255, so the shifted values stay below
 * 2^28 and their sum below 2^29, and SMMULR(2x, m) is the rounding doubling
 * high multiply exactly (see kws_requantize_dsp in kws_simd.h); the
 * rounding division by 2^r is (h + 2^r / 2 - (r > 0 && h < 0)) >> r, exact
 * for r = 0 too (an input whose scale is the larger one has r = 0). The
 * parameters are read into locals once: in the portable kernel they are
 * read again for every element, because the int8 stores might alias them. */
#include "kws_add_s8.h"
#include "kws_simd.h"

typedef struct {
    int32_t mult;
    int32_t half;    /* 2^r / 2 */
    int32_t nonzero; /* -1 when r > 0, else 0 */
    int right;       /* r */
} scale_t;

static scale_t scale_of(int32_t mult, int shift)
{
    scale_t s;
    s.mult = mult;
    s.right = -shift; /* the generator keeps these shifts <= 0 */
    s.half = (int32_t)((1u << s.right) >> 1);
    s.nonzero = s.right > 0 ? -1 : 0;
    return s;
}

/* x * mult / 2^31 rounded, then / 2^r rounded, as the reference; x2 = 2x */
KWS_INLINE int32_t apply(scale_t s, int32_t x2)
{
    const int32_t high = kws_smmulr(x2, s.mult);
    return (high + s.half + ((high >> 31) & s.nonzero)) >> s.right;
}

void kws_add_s8_dsp(const kws_add_params_t *p, const int8_t *input1, const int8_t *input2,
                    int8_t *output)
{
    const int32_t n = p->shape.dims[0] * p->shape.dims[1] * p->shape.dims[2] * p->shape.dims[3];
    /* (in + offset) << 20, doubled for SMMULR: in << 21 + offset << 21 */
    const int32_t off1 = (int32_t)((uint32_t)(int32_t)p->in1_offset << (p->left_shift + 1));
    const int32_t off2 = (int32_t)((uint32_t)(int32_t)p->in2_offset << (p->left_shift + 1));
    const int shift = p->left_shift + 1;
    const scale_t s1 = scale_of(p->mult1, p->shift1);
    const scale_t s2 = scale_of(p->mult2, p->shift2);
    const scale_t so = scale_of(p->mult_out, p->shift_out);
    const int32_t out_zp = p->out_zp;
    const int32_t act_min = p->act_min;
    const int32_t act_max = p->act_max;
    int32_t i;

    for (i = 0; i < n; ++i) {
        const int32_t a = apply(s1, off1 + (int32_t)((uint32_t)(int32_t)input1[i] << shift));
        const int32_t b = apply(s2, off2 + (int32_t)((uint32_t)(int32_t)input2[i] << shift));
        int32_t v = apply(so, (a + b) * 2) + out_zp;
        v = v < act_min ? act_min : v;
        v = v > act_max ? act_max : v;
        output[i] = (int8_t)v;
    }
}
