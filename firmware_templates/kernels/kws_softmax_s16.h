#ifndef KWS_SOFTMAX_S16_H
#define KWS_SOFTMAX_S16_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SOFTMAX over the last axis, int16 in (zero point 0), int16 out (scale
 * 1/32768, zero point 0). (max - x) is scaled by multiplier/shift so that
 * 65535 steps span [-10, 0]; exp_lut (exp over [-10, 0]) and recip_lut
 * (1 / (1 + x) over [0, 1]) are the reference's 513-entry tables, built by
 * the generator. */
typedef struct {
    int32_t rows;
    int32_t depth;
    int32_t multiplier;
    int32_t shift;
    const int16_t *exp_lut;
    const int16_t *recip_lut;
} kws_softmax_s16_params_t;

/* int16_t data behind the void pointers; output == input is safe. */
void kws_softmax_s16(const kws_softmax_s16_params_t *p, const void *input, void *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_SOFTMAX_S16_H */
