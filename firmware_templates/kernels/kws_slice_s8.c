/* A strided copy of up to five axes; the innermost axis with step 1 is one
 * memmove (the planner may overlap the output with the dying input only as
 * far as the element order allows, which memmove preserves). */
#include <string.h>

#include "kws_slice_s8.h"

void kws_slice_s8(const kws_slice_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t *n = p->shape;
    const int32_t *s = p->step;
    int32_t a, b, c, d, e;
    for (a = 0; a < n[0]; ++a) {
        for (b = 0; b < n[1]; ++b) {
            for (c = 0; c < n[2]; ++c) {
                for (d = 0; d < n[3]; ++d) {
                    const int8_t *row = input + p->base + a * s[0] + b * s[1] + c * s[2] + d * s[3];
                    if (s[4] == 1) {
                        memmove(output, row, (size_t)n[4]);
                        output += n[4];
                        continue;
                    }
                    for (e = 0; e < n[4]; ++e) {
                        *output++ = row[e * s[4]];
                    }
                }
            }
        }
    }
}
