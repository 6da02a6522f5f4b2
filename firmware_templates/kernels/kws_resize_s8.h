#ifndef KWS_RESIZE_S8_H
#define KWS_RESIZE_S8_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR on NHWC int8 images. Where each
 * output row and column samples the input is computed on the host
 * (generator/model/ops/resize.py, emulating TFLite Micro's reference) and
 * stored as byte offsets into one input image:
 *  - bilinear: rows[3 * y] = y0 * in_w * channels, rows[3 * y + 1] =
 *    y1 * in_w * channels, rows[3 * y + 2] = fy (the sample position minus
 *    1024 * y0, in 1/1024 pixel, -512..1023); cols likewise with x0, x1, fx
 *    premultiplied by channels. Output = the four raw neighbours weighted by
 *    (1024 - fy or fy) * (1024 - fx or fx), summed in 2^-20 units and
 *    rounded half away from zero (ResizeBilinearInteger, double rounding);
 *  - nearest: rows[y] = in_y * in_w * channels, cols[x] = in_x * channels.
 * Each output value's inputs are read before it is written; values are
 * written in address order (the contract of kws_kernels.h). */
typedef struct {
    int32_t batches;
    int32_t image_bytes; /* in_h * in_w * channels */
    int32_t channels;
    int32_t out_h, out_w;
    const int32_t *rows;
    const int32_t *cols;
} kws_resize_params_t;

void kws_resize_bilinear_s8(const kws_resize_params_t *p, const int8_t *input, int8_t *output);
void kws_resize_nearest_s8(const kws_resize_params_t *p, const int8_t *input, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_RESIZE_S8_H */
