/* CONCATENATION, float32. */

#include "kws_f32_impl.h"

/* CONCATENATION: block copies in output order (memmove: the output may
 * overlap a dying input). */
void kws_concat_f32(const kws_concat_f32_params_t *p, const float *const *inputs, float *output)
{
    int32_t o, i;

    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < p->count; ++i) {
            const int32_t n = p->axis_len[i];
            memmove(output, inputs[i] + (size_t)o * (size_t)n, (size_t)n * sizeof(float));
            output += n;
        }
    }
}
