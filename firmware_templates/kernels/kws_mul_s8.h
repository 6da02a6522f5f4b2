#ifndef KWS_MUL_S8_H
#define KWS_MUL_S8_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* MUL with broadcasting over up to 4 dimensions (kws_broadcast_t). */
typedef struct {
    kws_broadcast_t shape;
    int16_t in1_offset, in2_offset;
    int16_t out_zp;
    int16_t act_min, act_max;
    int32_t mult;
    int16_t shift;
} kws_mul_params_t;

void kws_mul_s8(const kws_mul_params_t *p, const int8_t *input1, const int8_t *input2,
                int8_t *output);

/* The same on int16 tensors (16x8 models). */
void kws_mul_s16(const kws_mul_params_t *p, const void *input1, const void *input2, void *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_MUL_S8_H */
