/* The output stage shared by CONV_2D and FULLY_CONNECTED: output channels
 * as contiguous dot products of one input column with weight rows, four
 * channels a pass so each input byte is loaded once for four MACs, then
 * requantized. One definition (kws_dot_s8.c) serves both kernels. */
#ifndef KWS_DOT_S8_H
#define KWS_DOT_S8_H

#include "kws_kernels.h"

/* out[c] for c in [c_begin, c_end) from one gathered (or direct) column of
 * `depth` bytes; weights are [out_c][depth]. */
void kws_dot_channels_s8(const kws_requant_t *rq, const int8_t *weights, const int8_t *src, int depth,
                         int c_begin, int c_end, int8_t *out);

#endif
