/* MAX_POOL_2D, int16 (16x8 models), portable C99 (the loop: kws_pool_impl.h). */
#include "kws_pool_impl.h"

KWS_DEFINE_MAXPOOL(maxpool, int16_t, -32768)

void kws_maxpool_s16(const kws_pool_params_t *p, const void *input, void *output)
{
    maxpool(p, (const int16_t *)input, (int16_t *)output);
}
