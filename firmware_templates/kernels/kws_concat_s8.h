#ifndef KWS_CONCAT_S8_H
#define KWS_CONCAT_S8_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CONCATENATION: output viewed as [outer][sum(axis_bytes)]; input i
 * contributes axis_bytes[i] bytes to every outer row. */
typedef struct {
    int32_t outer;
    int32_t count;
    const int32_t *axis_bytes;
} kws_concat_params_t;

void kws_concat_s8(const kws_concat_params_t *p, const int8_t *const *inputs, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_CONCAT_S8_H */
