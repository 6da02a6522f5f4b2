/* CONCATENATION of int8 tensors sharing one scale and zero point: a
 * sequence of block copies in output order. memmove keeps each copy correct
 * when the planner overlaps the output with a dying input. */
#include <string.h>

#include "kws_concat_s8.h"

void kws_concat_s8(const kws_concat_params_t *p, const int8_t *const *inputs, int8_t *output)
{
    int32_t o;
    int32_t i;
    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < p->count; ++i) {
            const int32_t n = p->axis_bytes[i];
            memmove(output, inputs[i] + (size_t)o * (size_t)n, (size_t)n);
            output += n;
        }
    }
}
