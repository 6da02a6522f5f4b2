#ifndef KWS_POOL_S8_H
#define KWS_POOL_S8_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* AVERAGE_POOL_2D / MAX_POOL_2D, int8 and int16 (input and output share
 * scale and zero point; the window is clipped to the image, as in the
 * reference). */
typedef struct {
    int16_t batches;
    int16_t in_h, in_w, channels;
    int16_t out_h, out_w;
    int16_t k_h, k_w;
    int16_t stride_h, stride_w;
    int16_t pad_t, pad_l;
    int16_t act_min, act_max;
} kws_pool_params_t;

void kws_avgpool_s8(const kws_pool_params_t *p, const int8_t *input, int8_t *output);
void kws_maxpool_s8(const kws_pool_params_t *p, const int8_t *input, int8_t *output);
void kws_avgpool_s16(const kws_pool_params_t *p, const void *input, void *output);
void kws_maxpool_s16(const kws_pool_params_t *p, const void *input, void *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_POOL_S8_H */
