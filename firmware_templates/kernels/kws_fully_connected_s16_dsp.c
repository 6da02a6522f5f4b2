/* FULLY_CONNECTED, int16 activations and int8 weights (16x8 models), for
 * cores with the DSP extension: each batch row is one column for
 * kws_s16_channels_dsp (SMLAD, weights re-ordered on the host; see
 * kws_dot_s16_dsp.h). Each output reads its whole input row before it is
 * written, as in the portable kernel. */
#include "kws_dot_s16_dsp.h"
#include "kws_fully_connected_s16.h"

void kws_fully_connected_s16_dsp(const kws_fc_s16_params_t *p, const void *input_v, void *output_v)
{
    const int16_t *input = (const int16_t *)input_v;
    int16_t *output = (int16_t *)output_v;
    int32_t b;

    for (b = 0; b < p->batches; ++b) {
        kws_s16_channels_dsp(&p->rq, p->weights, input + (size_t)b * (size_t)p->depth, 0, p->out_c, p->depth,
                             output + (size_t)b * (size_t)p->out_c);
    }
}
