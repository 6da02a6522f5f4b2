/* Elementwise int8 -> int8 through a 256-entry table computed on the host
 * (LOGISTIC, TANH, RELU, RELU6, int8 requantization). */
#include "kws_lut_s8.h"

void kws_lut_s8(const int8_t *lut, const int8_t *input, int8_t *output, int32_t count)
{
    int32_t i;
    for (i = 0; i < count; ++i) {
        output[i] = lut[(uint8_t)input[i]];
    }
}
