/* FULLY_CONNECTED, int16 activations and int8 weights (16x8 models),
 * bit-exact with TFLite Micro's reference kernel. Each output reads its whole
 * input row before it is written. */
#include "kws_fully_connected_s16.h"

void kws_fully_connected_s16(const kws_fc_s16_params_t *p, const void *input_v, void *output_v)
{
    const int16_t *input = (const int16_t *)input_v;
    int16_t *output = (int16_t *)output_v;
    int32_t b, c, i;

    for (b = 0; b < p->batches; ++b) {
        const int16_t *x = input + (size_t)b * (size_t)p->depth;
        int16_t *y = output + (size_t)b * (size_t)p->out_c;
        for (c = 0; c < p->out_c; ++c) {
            const int8_t *w = p->weights + (size_t)c * (size_t)p->depth;
            int64_t acc = 0;
            for (i = 0; i < p->depth; ++i) {
                acc += (int32_t)w[i] * (int32_t)x[i];
            }
            y[c] = kws_requant_s16_out(&p->rq, c, acc);
        }
    }
}
