#ifndef KWS_FULLY_CONNECTED_S16_H
#define KWS_FULLY_CONNECTED_S16_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* FULLY_CONNECTED of a 16x8 model: int16 input and output (zero points 0),
 * int8 weights [out_c][depth], an int64 bias or none: TFLite Micro
 * accumulates in 64 bits and requantizes with the multiplier rounded to 16
 * bits. */
typedef struct {
    int32_t batches;
    int32_t depth;
    int32_t out_c;
    int32_t mult_stride; /* 0: one multiplier for every channel */
    int32_t act_min;
    int32_t act_max;
    const int8_t *weights;
    const int64_t *bias; /* [out_c], or NULL */
    const int32_t *mult;
    const int32_t *shift;
} kws_fc_s16_params_t;

void kws_fully_connected_s16(const kws_fc_s16_params_t *p, const void *input, void *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_FULLY_CONNECTED_S16_H */
