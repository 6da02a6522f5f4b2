/* cmd_features.c as the firmware compiles it, and its reset (fuzz_io.h). */
#include <string.h>

#include "cmd_features.c"
#include "fuzz_io.h"

void fuzz_reset_features(void) { memset(&kws_features_state, 0, sizeof kws_features_state); }
