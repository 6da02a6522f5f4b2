/* int16 sigmoid and tanh, bit-exact with TFLite Micro's int16 LOGISTIC and
 * TANH (the ones its integer LSTM calls): a 256-entry sigmoid table over
 * |x| with linear interpolation, tanh(x) read as 2 * sigmoid(2x) - 1.
 * Inputs are first scaled by kws_act_s16_prescale; outputs are Q0.15. */
#ifndef KWS_ACT_S16_H
#define KWS_ACT_S16_H

#include <stdint.h>

#include "kws_qmath.h"

#ifdef __cplusplus
extern "C" {
#endif

/* sigmoid(i / 24) in 0.16 fixed point, i = 0..255 (kws_act_s16.c). */
extern const uint16_t kws_sigmoid_table_u16[256];

/* (x * mult + round) >> shift, the reference's input scaling; the generator
 * keeps |x * mult| below 2^31 and 0 <= shift < 31. */
KWS_INLINE int32_t kws_act_s16_prescale(int32_t x, int32_t mult, int shift)
{
    const int32_t round = shift > 0 ? ((int32_t)1 << (shift - 1)) : 0;
    return (x * mult + round) >> shift;
}

/* sigmoid of a prescaled input, as an int16 with scale 2^-15. */
KWS_INLINE int16_t kws_sigmoid_s16(int32_t v)
{
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t idx = a >> 9;
    uint32_t r;
    if (idx >= 255u) {
        r = 0x7FFFu << 10;
    } else {
        const uint32_t lo = kws_sigmoid_table_u16[idx];
        const uint32_t hi = kws_sigmoid_table_u16[idx + 1u];
        r = (lo << 9) + (a & 0x1FFu) * (hi - lo);
    }
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
    return (int16_t)(r >> 10);
}

/* tanh of a prescaled input, as an int16 with scale 2^-15. */
KWS_INLINE int16_t kws_tanh_s16(int32_t v)
{
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t idx = a >> 8;
    int32_t r;
    if (idx >= 255u) {
        r = (int32_t)(0xFFFFu << 8);
    } else {
        const uint32_t lo = kws_sigmoid_table_u16[idx];
        const uint32_t hi = kws_sigmoid_table_u16[idx + 1u];
        r = (int32_t)((lo << 8) + (a & 0xFFu) * (hi - lo));
    }
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(r >> 8); /* arithmetic shift: floor, as the reference */
}

/* LOGISTIC and TANH on int16 tensors (zero point 0, output scale 2^-15). */
typedef struct {
    int32_t count;
    int32_t mult;  /* kws_act_s16_prescale's, from the input scale */
    int32_t shift;
    int32_t tanh;  /* 0: sigmoid */
} kws_act_s16_params_t;

/* Elementwise, in order; in place is allowed. */
void kws_act_s16(const kws_act_s16_params_t *p, const void *input, void *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_ACT_S16_H */
