/* A fresh boot's state for every input of the binary-protocol targets. */
#include "fuzz_io.h"
#include "kws_pipeline.h"

void fuzz_reset_firmware(void)
{
    fuzz_reset_features();
    fuzz_reset_classify();
    fuzz_reset_stream();
    kws_pipeline_reset();
}
