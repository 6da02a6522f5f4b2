/* MEAN over a contiguous run of axes, int16 (16x8 models), portable C99
 * (the loop: kws_mean_impl.h). */
#include "kws_mean_impl.h"

KWS_DEFINE_MEAN(mean, int16_t, -32768, 32767)

void kws_mean_s16(const kws_mean_params_t *p, const void *input, void *output)
{
    mean(p, (const int16_t *)input, (int16_t *)output);
}
