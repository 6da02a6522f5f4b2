/* MEAN, float32 (reference reduce.h). */

#include "kws_f32_impl.h"

/* reference_ops::Mean: the sum in input order from 0, then one division
 * by the element count (as float). */
void kws_mean_f32(const kws_mean_f32_params_t *p, const float *input, float *output)
{
    const float count = (float)p->reduce;
    int o, i, r;

    for (o = 0; o < p->outer; ++o) {
        const float *x = input + (size_t)o * (size_t)p->reduce * (size_t)p->inner;
        for (i = 0; i < p->inner; ++i) {
            float total = 0.0f;
            for (r = 0; r < p->reduce; ++r) {
                total += x[(size_t)r * (size_t)p->inner + (size_t)i];
            }
            *output++ = total / count;
        }
    }
}
