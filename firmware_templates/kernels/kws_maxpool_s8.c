/* MAX_POOL_2D, int8, portable C99 (the loop: kws_pool_impl.h). */
#include "kws_pool_impl.h"

KWS_DEFINE_MAXPOOL(maxpool, int8_t, -128)

void kws_maxpool_s8(const kws_pool_params_t *p, const int8_t *input, int8_t *output)
{
    maxpool(p, input, output);
}
