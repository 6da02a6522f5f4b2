#ifndef KWS_MEAN_S8_H
#define KWS_MEAN_S8_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* MEAN over a contiguous run of axes, int8 or int16: the input is viewed as
 * [outer][reduce][inner] and the output as [outer][inner].
 * sum_offset = in_zp * reduce; mult/shift already include 1/reduce. */
typedef struct {
    int32_t outer, reduce, inner;
    int32_t sum_offset;
    int32_t mult;
    int16_t shift;
    int16_t out_zp;
} kws_mean_params_t;

void kws_mean_s8(const kws_mean_params_t *p, const int8_t *input, int8_t *output);
void kws_mean_s16(const kws_mean_params_t *p, const void *input, void *output); /* int16 values */

#ifdef __cplusplus
}
#endif

#endif /* KWS_MEAN_S8_H */
