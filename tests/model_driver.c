/* Host test driver for a generated model: reads input tensors back to back
 * from stdin, writes the output tensors to stdout. Built by the tests with
 * -fsanitize=address,undefined so the kernels run under ASan/UBSan. The arena
 * is scribbled over before every inference so a wrong memory plan cannot
 * pass by reusing stale values. */
#include <stdio.h>

#include "model.h"

void kws_model_test_fill_arena(uint8_t seed);

int main(void)
{
    static kws_model_input_t input[KWS_MODEL_INPUT_COUNT];
    static kws_model_output_t output[KWS_MODEL_OUTPUT_COUNT];
    unsigned n = 0;
    while (fread(input, 1, KWS_MODEL_INPUT_BYTES, stdin) == KWS_MODEL_INPUT_BYTES) {
        kws_model_test_fill_arena((uint8_t)(n * 73u + 11u));
        if (kws_model_invoke(input, output) != 0) {
            return 2;
        }
        if (fwrite(output, 1, KWS_MODEL_OUTPUT_BYTES, stdout) != KWS_MODEL_OUTPUT_BYTES) {
            return 3;
        }
        ++n;
    }
    return 0;
}
