#ifndef KWS_FULLY_CONNECTED_S8_H
#define KWS_FULLY_CONNECTED_S8_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* FULLY_CONNECTED. Weights [out_c][depth]; bias folded (see kws_requant_t). */
typedef struct {
    int32_t batches;
    int32_t depth;
    int32_t out_c;
    const int8_t *weights;
    kws_requant_t rq;
} kws_fc_params_t;

void kws_fully_connected_s8(const kws_fc_params_t *p, const int8_t *input, int8_t *output);

/* The same for cores with the DSP extension (kws_fully_connected_s8_dsp.c). */
void kws_fully_connected_s8_dsp(const kws_fc_params_t *p, const int8_t *input, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_FULLY_CONNECTED_S8_H */
