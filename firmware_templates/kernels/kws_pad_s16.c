/* PAD / PADV2 with a constant, int16 (16x8 models), up to four dimensions,
 * portable C99 (the walk: kws_pad_walk in kws_kernels.h). */
#include "kws_pad_s8.h"

void kws_pad_s16(const kws_pad_params_t *p, const void *input, void *output)
{
    const int16_t value = p->value;
    kws_pad_walk(p->in_dims, p->out_dims, p->before, sizeof value, &value, input, output);
}
