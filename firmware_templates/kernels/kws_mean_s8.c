/* MEAN over a contiguous run of axes, int8, portable C99 (the loop:
 * kws_mean_impl.h). */
#include "kws_mean_impl.h"

KWS_DEFINE_MEAN(mean, int8_t, -128, 127)

void kws_mean_s8(const kws_mean_params_t *p, const int8_t *input, int8_t *output)
{
    mean(p, input, output);
}
