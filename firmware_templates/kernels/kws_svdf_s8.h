#ifndef KWS_SVDF_S8_H
#define KWS_SVDF_S8_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SVDF, integer path (TFLite Micro's EvalIntegerSvdfReference): int8 input
 * and output, int16 time weights and state or int8 time weights and state,
 * the state [batches][filters][memory] kept between invokes (outside the
 * arena). */
typedef struct {
    int32_t batches;
    int32_t input_size;
    int32_t filters;
    int32_t memory;
    int32_t units;   /* filters / rank */
    int32_t rank;
    int32_t input_zp;
    int32_t state_zp;
    int32_t output_zp;
    int32_t feature_mult; /* input * weights_feature / state */
    int32_t feature_shift;
    int32_t time_mult;    /* state * weights_time / output */
    int32_t time_shift;
    int32_t state_bytes; /* 2: int16 time weights and state; 1: int8 ones */
    const int8_t *weights_feature; /* [filters][input_size] */
    const void *weights_time;      /* [filters][memory], state_bytes wide */
    const int32_t *bias;           /* [units], or NULL */
} kws_svdf_params_t;

/* Reads every input value before writing the output; state holds int16_t
 * or int8_t values (state_bytes). */
void kws_svdf_s8(const kws_svdf_params_t *p, const int8_t *input, void *state, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_SVDF_S8_H */
