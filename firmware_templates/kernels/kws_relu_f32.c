/* RELU and RELU6, float32. */

#include "kws_f32_impl.h"

/* ReluFloat (val < 0 ? 0 : val) and Relu6Float (val > 6 ? 6 : val < 0 ? 0 : val):
 * the same values as the clamp, NaN and -0.0 included. */
void kws_clamp_f32(const kws_clamp_f32_params_t *p, const float *input, float *output)
{
    int32_t i;

    for (i = 0; i < p->count; ++i) {
        output[i] = kws_act_f32(input[i], p->act_min, p->act_max);
    }
}
