/* The output stage shared by CONV_2D and FULLY_CONNECTED: output channels
 * as contiguous dot products of one input column with weight rows, four
 * channels a pass so each input byte is loaded once for four MACs, then
 * requantized. One definition (kws_dot_s8.c) serves both kernels. */
#ifndef KWS_DOT_S8_H
#define KWS_DOT_S8_H

#include "kws_kernels.h"

/* A kernel's shared kws_requant_t unpacked once per call, with the weights,
 * the column depth and the channels per call: the per-pixel call then takes
 * three register arguments and no stack ones. */
typedef struct {
    const int8_t *weights; /* [out_c][depth] */
    const int32_t *bias;
    const int32_t *mult;
    const int8_t *shift;
    int32_t depth;
    int32_t channels;
    int32_t mstride;
    int32_t out_zp;
    int32_t act_min;
    int32_t act_max;
} kws_dot_ctx_t;

static inline void kws_dot_ctx_init(kws_dot_ctx_t *ctx, const kws_requant_t *rq, const int8_t *weights,
                                    int depth, int channels)
{
    ctx->weights = weights;
    ctx->bias = rq->bias;
    ctx->mult = rq->mult;
    ctx->shift = rq->shift;
    ctx->depth = depth;
    ctx->channels = channels;
    ctx->mstride = rq->mult_stride;
    ctx->out_zp = rq->out_zp;
    ctx->act_min = rq->act_min;
    ctx->act_max = rq->act_max;
}

/* out[0 .. ctx->channels) from one gathered (or direct) column of ctx->depth
 * bytes; ctx's weights, bias, mult and shift start at the channel written to
 * out[0] (a grouped convolution steps them per group). */
void kws_dot_channels_s8(const kws_dot_ctx_t *ctx, const int8_t *src, int8_t *out);

#endif
