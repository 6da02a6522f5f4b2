/* FULLY_CONNECTED, int8, portable C99.
 *
 * Each output is one contiguous dot product of the input row with a weight
 * row; four outputs are computed per pass to share the input loads. The bias
 * is folded (bias - in_zp * sum(weights)) so the inner loop is a bare MAC. */
#include "kws_fully_connected_s8.h"
#include "kws_dot_s8.h"

void kws_fully_connected_s8(const kws_fc_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t batches = p->batches;
    const int32_t depth = p->depth;
    const int32_t out_c = p->out_c;
    kws_dot_ctx_t ctx;
    int32_t b;

    kws_dot_ctx_init(&ctx, &p->rq, p->weights, depth, out_c);
    for (b = 0; b < batches; ++b) {
        kws_dot_channels_s8(&ctx, input + (size_t)b * (size_t)depth, output + (size_t)b * (size_t)out_c);
    }
}
