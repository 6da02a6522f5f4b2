/* ADD, float32, broadcasting (reference add.h). */

#include "kws_f32_impl.h"

void kws_add_f32(const kws_add_f32_params_t *p, const float *input1, const float *input2, float *output)
{
    int32_t a, b;
    KWS_BROADCAST_FOR_EACH(&p->shape, a, b,
                           *output++ = kws_act_f32(input1[a] + input2[b], p->act_min, p->act_max));
}
