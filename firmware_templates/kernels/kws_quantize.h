#ifndef KWS_QUANTIZE_H
#define KWS_QUANTIZE_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* QUANTIZE float32 -> int8 and DEQUANTIZE int8 -> float32 at the model's
 * edges, with the reference's single-precision arithmetic. */
void kws_quantize_f32_s8(const float *input, int8_t *output, int32_t count, float scale,
                         int32_t zero_point);
void kws_dequantize_s8_f32(const int8_t *input, float *output, int32_t count, float scale,
                           int32_t zero_point);

#ifdef __cplusplus
}
#endif

#endif /* KWS_QUANTIZE_H */
