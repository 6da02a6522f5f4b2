/* PAD / PADV2 with a constant, int8, up to four dimensions, portable C99.
 * The output is produced in address order, one innermost run at a time. */
#include <string.h>

#include "kws_pad_s8.h"

void kws_pad_s8(const kws_pad_params_t *p, const int8_t *input, int8_t *output)
{
    const int8_t value = (int8_t)p->value;
    const int32_t run = p->in_dims[3];
    const int32_t left = p->before[3];
    const int32_t right = p->out_dims[3] - left - run;
    int32_t i0;
    int32_t i1;
    int32_t i2;

    for (i0 = 0; i0 < p->out_dims[0]; ++i0) {
        const int32_t s0 = i0 - p->before[0];
        const int ok0 = s0 >= 0 && s0 < p->in_dims[0];
        for (i1 = 0; i1 < p->out_dims[1]; ++i1) {
            const int32_t s1 = i1 - p->before[1];
            const int ok1 = ok0 && s1 >= 0 && s1 < p->in_dims[1];
            for (i2 = 0; i2 < p->out_dims[2]; ++i2) {
                const int32_t s2 = i2 - p->before[2];
                if (ok1 && s2 >= 0 && s2 < p->in_dims[2]) {
                    const int32_t src = ((s0 * p->in_dims[1] + s1) * p->in_dims[2] + s2) * run;
                    memset(output, value, (size_t)left);
                    memmove(output + left, input + src, (size_t)run);
                    memset(output + left + run, value, (size_t)right);
                } else {
                    memset(output, value, (size_t)p->out_dims[3]);
                }
                output += p->out_dims[3];
            }
        }
    }
}
