/* FULLY_CONNECTED, int16 activations and int8 weights (16x8 models),
 * bit-exact with TFLite Micro's reference kernel. Each output reads its whole
 * input row before it is written. */
#include "kws_fully_connected_s16.h"
#include "kws_qmath.h"

/* The reference's 64-bit MultiplyByQuantizedMultiplier: the multiplier
 * rounded to 16 bits, one rounding shift; the result truncated to int32. */
static int32_t requantize_wide(int64_t acc, int32_t mult, int32_t shift)
{
    const int64_t reduced = mult < 0x7FFF0000 ? (int64_t)((mult + (1 << 15)) >> 16) : 0x7FFF;
    const int total = 15 - (int)shift;
    return (int32_t)(uint32_t)(uint64_t)((acc * reduced + ((int64_t)1 << (total - 1))) >> total);
}

void kws_fully_connected_s16(const kws_fc_s16_params_t *p, const void *input_v, void *output_v)
{
    const int16_t *input = (const int16_t *)input_v;
    int16_t *output = (int16_t *)output_v;
    int32_t b, c, i;

    for (b = 0; b < p->batches; ++b) {
        const int16_t *x = input + (size_t)b * (size_t)p->depth;
        int16_t *y = output + (size_t)b * (size_t)p->out_c;
        for (c = 0; c < p->out_c; ++c) {
            const int8_t *w = p->weights + (size_t)c * (size_t)p->depth;
            const int32_t mult = p->mult[c * p->mult_stride];
            const int32_t shift = p->shift[c * p->mult_stride];
            int64_t acc = p->bias != NULL ? p->bias[c] : 0;
            for (i = 0; i < p->depth; ++i) {
                acc += (int32_t)w[i] * (int32_t)x[i];
            }
            y[c] = (int16_t)kws_clamp_i32(requantize_wide(acc, mult, shift), p->act_min, p->act_max);
        }
    }
}
