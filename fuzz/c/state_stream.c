/* cmd_stream.c as the firmware compiles it, and its reset (fuzz_io.h). */
#include "cmd_stream.c"
#include "fuzz_io.h"

void fuzz_reset_stream(void)
{
    memset(&s_recognizer, 0, sizeof s_recognizer);
    memset(s_ring_scores, 0, sizeof s_ring_scores);
    memset(s_ring_times, 0, sizeof s_ring_times);
    memset(s_reply, 0, sizeof s_reply);
    memset(s_scores, 0, sizeof s_scores);
    s_started = 0;
    s_frames = 0;
    s_samples = 0;
    s_inferences = 0;
    s_events = 0;
    s_reply_len = 0;
    s_stream = 0;
    s_last_offset = 0;
    s_last_samples = 0;
}
