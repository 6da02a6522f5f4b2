#ifndef KWS_PAD_S8_H
#define KWS_PAD_S8_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* PAD / PADV2 on up to 4 dimensions with a constant value. */
typedef struct {
    int32_t in_dims[4];
    int32_t out_dims[4];
    int32_t before[4];
    int16_t value;
} kws_pad_params_t;

void kws_pad_s8(const kws_pad_params_t *p, const int8_t *input, int8_t *output);
void kws_pad_s16(const kws_pad_params_t *p, const void *input, void *output); /* int16 values */

#ifdef __cplusplus
}
#endif

#endif /* KWS_PAD_S8_H */
