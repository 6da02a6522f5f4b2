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
/* The same for int16 (int16_t data behind the void pointer). */
void kws_quantize_f32_s16(const float *input, void *output, int32_t count, float scale,
                          int32_t zero_point);
void kws_dequantize_s16_f32(const void *input, float *output, int32_t count, float scale,
                            int32_t zero_point);
/* QUANTIZE int16 -> int8, int16 and int32 (a requantization); input
 * int16_t, output int8_t, int16_t or int32_t. In place (input == output) is
 * safe for int16 -> int8 and int16 -> int16; int16 -> int32 is never placed
 * over its input. */
void kws_requantize_s16_s8(const void *input, int8_t *output, int32_t count, int32_t in_zp,
                           int32_t multiplier, int32_t shift, int32_t out_zp);
void kws_requantize_s16_s16(const void *input, void *output, int32_t count, int32_t in_zp,
                            int32_t multiplier, int32_t shift, int32_t out_zp);
void kws_requantize_s16_s32(const void *input, void *output, int32_t count, int32_t in_zp,
                            int32_t multiplier, int32_t shift, int32_t out_zp);

#ifdef __cplusplus
}
#endif

#endif /* KWS_QUANTIZE_H */
