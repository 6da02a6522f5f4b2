/* The model as the fuzz targets run it (see fuzz_io.h): linked with
 * -Wl,--wrap=kws_model_invoke, so every caller outside model.c comes here. */
#include <string.h>

#include "fuzz_io.h"
#include "model.h"

int __real_kws_model_invoke(const kws_model_input_t *input, kws_model_output_t *output);
int __wrap_kws_model_invoke(const kws_model_input_t *input, kws_model_output_t *output);

static size_t s_inferences, s_limit;
void (*fuzz_abandon)(void);

void fuzz_model_reset(size_t limit)
{
    s_inferences = 0;
    s_limit = limit;
}

size_t fuzz_model_inferences(void) { return s_inferences; }

int __wrap_kws_model_invoke(const kws_model_input_t *input, kws_model_output_t *output)
{
    s_inferences++;
    if (s_inferences <= FUZZ_REAL_INFERENCES) {
        return __real_kws_model_invoke(input, output);
    }
    if (s_limit != 0 && s_inferences > s_limit) {
        fuzz_abandon();
    }
    if (input != NULL && input != kws_model_input()) {
        memmove(kws_model_input(), input, KWS_MODEL_INPUT_BYTES);
    }
    /* Input and output may share the arena: memmove. */
    memmove((void *)kws_model_output(), kws_model_input(),
            KWS_MODEL_OUTPUT_BYTES < KWS_MODEL_INPUT_BYTES ? KWS_MODEL_OUTPUT_BYTES
                                                           : KWS_MODEL_INPUT_BYTES);
    if (output != NULL && output != kws_model_output()) {
        memmove(output, kws_model_output(), KWS_MODEL_OUTPUT_BYTES);
    }
    return 0;
}
