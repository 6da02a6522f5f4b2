/* PAD and PADV2, float32 (the walk: kws_pad_walk in kws_kernels.h). */

#include "kws_f32_impl.h"

/* PAD / PADV2: copies and the pad value, in output order. An output run
 * is written after its source run is read (the input may be overlapped). */
void kws_pad_f32(const kws_pad_f32_params_t *p, const float *input, float *output)
{
    kws_pad_walk(p->in_dims, p->out_dims, p->before, sizeof(float), &p->value, input, output);
}
