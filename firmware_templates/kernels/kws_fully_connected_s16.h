#ifndef KWS_FULLY_CONNECTED_S16_H
#define KWS_FULLY_CONNECTED_S16_H

#include "kws_requant_s16.h"

#ifdef __cplusplus
extern "C" {
#endif

/* FULLY_CONNECTED of a 16x8 model: int16 input and output (zero points 0),
 * int8 weights [out_c][depth], the output stage of kws_requant_s16.h. */
typedef struct {
    int32_t batches;
    int32_t depth;
    int32_t out_c;
    const int8_t *weights;
    kws_requant_s16_t rq;
} kws_fc_s16_params_t;

void kws_fully_connected_s16(const kws_fc_s16_params_t *p, const void *input, void *output);

/* The same for cores with the DSP extension (kws_fully_connected_s16_dsp.c):
 * weights re-ordered as kws_dot_s16_dsp.h describes. */
void kws_fully_connected_s16_dsp(const kws_fc_s16_params_t *p, const void *input, void *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_FULLY_CONNECTED_S16_H */
