#ifndef KWS_ADD_S8_H
#define KWS_ADD_S8_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ADD with broadcasting over up to 4 dimensions (kws_broadcast_t). */
typedef struct {
    kws_broadcast_t shape;
    int16_t in1_offset, in2_offset;
    int16_t left_shift;
    int16_t out_zp;
    int16_t act_min, act_max;
    int32_t mult1, mult2, mult_out;
    int16_t shift1, shift2, shift_out;
} kws_add_params_t;

void kws_add_s8(const kws_add_params_t *p, const int8_t *input1, const int8_t *input2,
                int8_t *output);

/* The same on int16 tensors (16x8 models; left_shift 15). */
void kws_add_s16(const kws_add_params_t *p, const void *input1, const void *input2, void *output);

/* The same without broadcasting, for cores with the DSP extension (kws_add_s8_dsp.c). */
void kws_add_s8_dsp(const kws_add_params_t *p, const int8_t *input1, const int8_t *input2,
                    int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_ADD_S8_H */
