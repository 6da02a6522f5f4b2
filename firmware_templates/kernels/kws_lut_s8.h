#ifndef KWS_LUT_S8_H
#define KWS_LUT_S8_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Any elementwise int8 -> int8 function (LOGISTIC, TANH, RELU, RELU6,
 * requantizing QUANTIZE): out[i] = lut[(uint8_t)in[i]]. */
void kws_lut_s8(const int8_t *lut, const int8_t *input, int8_t *output, int32_t count);

#ifdef __cplusplus
}
#endif

#endif /* KWS_LUT_S8_H */
