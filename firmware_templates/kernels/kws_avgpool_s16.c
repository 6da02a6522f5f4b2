/* AVERAGE_POOL_2D, int16 (16x8 models), portable C99 (the loop:
 * kws_pool_impl.h; the int32 sum as in TFLite Micro's int16 reference). */
#include "kws_pool_impl.h"

KWS_DEFINE_AVGPOOL(avgpool, int16_t)

void kws_avgpool_s16(const kws_pool_params_t *p, const void *input, void *output)
{
    avgpool(p, (const int16_t *)input, (int16_t *)output);
}
