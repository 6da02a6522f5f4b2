/* cmd_classify.c as the firmware compiles it, and its reset (fuzz_io.h). */
#include "cmd_classify.c"
#include "fuzz_io.h"

void fuzz_reset_classify(void)
{
    s_clip = 0;
    s_clip_open = 0;
}
