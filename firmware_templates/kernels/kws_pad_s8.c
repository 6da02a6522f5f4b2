/* PAD / PADV2 with a constant, int8, up to four dimensions, portable C99
 * (the walk: kws_pad_walk in kws_kernels.h). */
#include "kws_pad_s8.h"

void kws_pad_s8(const kws_pad_params_t *p, const int8_t *input, int8_t *output)
{
    const int8_t value = (int8_t)p->value;
    kws_pad_walk(p->in_dims, p->out_dims, p->before, 1u, &value, input, output);
}
