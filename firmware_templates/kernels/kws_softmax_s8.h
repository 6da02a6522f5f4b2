#ifndef KWS_SOFTMAX_S8_H
#define KWS_SOFTMAX_S8_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SOFTMAX over the last axis, int8 in, int8 out (scale 1/256, zero point
 * -128). exp_table[d] is the Q0.31 value of exp(-beta * scale * d) as the
 * reference computes it, for d = max - x in [0, table_len); differences
 * beyond the table contribute nothing and yield -128. */
typedef struct {
    int32_t rows;
    int32_t depth;
    int32_t table_len;
    const int32_t *exp_table;
} kws_softmax_params_t;

void kws_softmax_s8(const kws_softmax_params_t *p, const int8_t *input, int8_t *output);
/* int8 input, int16_t output (scale 1/65536, zero point -32768). */
void kws_softmax_s8_s16(const kws_softmax_params_t *p, const int8_t *input, void *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_SOFTMAX_S8_H */
