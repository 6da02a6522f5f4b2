/* CONV_2D, int16 activations and int8 weights (16x8 models), for cores with
 * the DSP extension: the portable kernel's walk and gather
 * (kws_conv2d_s16.c), with each column's dot products by SMLAD
 * (kws_dot_s16_dsp.h; weights re-ordered on the host). Same reads, same
 * write order, same exact int64 sums. */
#include "kws_conv_s16.h"
#include "kws_dot_s16_dsp.h"

void kws_conv2d_s16_dsp(const kws_conv2d_s16_params_t *p, const void *input, void *output, void *col)
{
    kws_conv2d_s16_with(p, input, output, col, kws_s16_channels_dsp);
}
