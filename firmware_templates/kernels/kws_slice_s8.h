#ifndef KWS_SLICE_S8_H
#define KWS_SLICE_S8_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* STRIDED_SLICE, SLICE, SPLIT, SPLIT_V: output element (i0..i4), in
 * row-major order over shape[5], is input[base + sum(i_d * step[d])]
 * (step in bytes, may be negative). */
typedef struct {
    int32_t base;
    const int32_t *shape;
    const int32_t *step;
} kws_slice_params_t;

void kws_slice_s8(const kws_slice_params_t *p, const int8_t *input, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_SLICE_S8_H */
