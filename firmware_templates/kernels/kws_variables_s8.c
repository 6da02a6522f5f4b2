/* The copies of a streaming model's resource variables (see
 * generator/model/ops/variables.py). */
#include <string.h>

#include "kws_variables_s8.h"

void kws_copy_s8(const int8_t *input, int8_t *output, int32_t count)
{
    if (count > 0 && input != output) {
        memmove(output, input, (size_t)count);
    }
}
