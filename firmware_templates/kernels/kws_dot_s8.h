/* The output stage shared by CONV_2D and FULLY_CONNECTED: output channels
 * as contiguous dot products of one input column with weight rows, four
 * channels a pass so each input byte is loaded once for four MACs, then
 * requantized. One definition (kws_dot_s8.c) serves both kernels. */
#ifndef KWS_DOT_S8_H
#define KWS_DOT_S8_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *mult;
    const int8_t *shift;
    int mstride;
    int32_t out_zp;
    int32_t act_min;
    int32_t act_max;
} kws_out_stage_t;

/* out[c] for c in [c_begin, c_end) from one gathered (or direct) column of
 * `depth` bytes. */
void kws_dot_channels_s8(const kws_out_stage_t *s, const int8_t *src, int depth, int c_begin, int c_end,
                         int8_t *out);

#endif
