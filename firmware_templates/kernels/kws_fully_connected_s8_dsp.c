/* FULLY_CONNECTED, int8, for cores with the DSP extension: each output is a
 * dot product of the input row with a weight row (padded to
 * KWS_DSP_DEPTH(depth) bytes on the host) by SMLAD, the row unpacked to
 * 16-bit lanes as it is read and shared by two weight rows; no scratch (an
 * input row can be large). See kws_dot_s8_dsp.h. */
#include "kws_dot_s8_dsp.h"
#include "kws_fully_connected_s8.h"

void kws_fully_connected_s8_dsp(const kws_fc_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t depth = p->depth;
    const int32_t out_c = p->out_c;
    kws_dot_ctx_t ctx;
    int32_t b;

    kws_dot_ctx_init(&ctx, &p->rq, p->weights, KWS_DSP_DEPTH(depth), out_c);
    for (b = 0; b < p->batches; ++b) {
        kws_dot1_channels_dsp(&ctx, input + (size_t)b * (size_t)depth, depth,
                              output + (size_t)b * (size_t)out_c);
    }
}
