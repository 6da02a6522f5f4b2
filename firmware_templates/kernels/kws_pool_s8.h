#ifndef KWS_POOL_S8_H
#define KWS_POOL_S8_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* AVERAGE_POOL_2D / MAX_POOL_2D (input and output share scale and zero
 * point; the window is clipped to the image, as in the reference). */
typedef struct {
    int16_t batches;
    int16_t in_h, in_w, channels;
    int16_t out_h, out_w;
    int16_t k_h, k_w;
    int16_t stride_h, stride_w;
    int16_t pad_t, pad_l;
    int16_t act_min, act_max;
} kws_pool_params_t;

/* Window of pooling output (oy, ox), clipped to the image: both pooling
 * kernels visit exactly the pixels the reference visits. */
typedef struct {
    int y0, y1, x0, x1;
} kws_pool_window_t;

static inline kws_pool_window_t kws_pool_window(const kws_pool_params_t *p, int oy, int ox)
{
    kws_pool_window_t w;
    const int iy0 = oy * p->stride_h - p->pad_t;
    const int ix0 = ox * p->stride_w - p->pad_l;
    w.y0 = iy0 < 0 ? 0 : iy0;
    w.x0 = ix0 < 0 ? 0 : ix0;
    w.y1 = iy0 + p->k_h < p->in_h ? iy0 + p->k_h : p->in_h;
    w.x1 = ix0 + p->k_w < p->in_w ? ix0 + p->k_w : p->in_w;
    return w;
}

void kws_avgpool_s8(const kws_pool_params_t *p, const int8_t *input, int8_t *output);
void kws_maxpool_s8(const kws_pool_params_t *p, const int8_t *input, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_POOL_S8_H */
