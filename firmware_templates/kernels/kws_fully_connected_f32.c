/* FULLY_CONNECTED, float32 (reference fully_connected.h order). */

#include "kws_f32_impl.h"

void kws_fully_connected_f32(const kws_fc_f32_params_t *p, const float *input, float *output)
{
    int b, oc, d;

    for (b = 0; b < p->batches; ++b) {
        const float *x = input + (size_t)b * (size_t)p->depth;
        for (oc = 0; oc < p->out_c; ++oc) {
            const float *w = p->weights + (size_t)oc * (size_t)p->depth;
            float total = 0.0f;
            for (d = 0; d < p->depth; ++d) {
                total += x[d] * w[d];
            }
            *output++ = kws_act_f32(total + (p->bias ? p->bias[oc] : 0.0f), p->act_min, p->act_max);
        }
    }
}
