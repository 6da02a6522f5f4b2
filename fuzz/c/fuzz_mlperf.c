/* libFuzzer target: the MLPerf Tiny runner's text protocol (mlperf_runner.c,
 * compiled here as the firmware compiles it, so its state can be reset for
 * every input). The input is what the host sends over the UART; the runner's
 * own main loop reads it through kws_uart_getc until it ends.
 *
 * Promises checked: every line it writes is printable ASCII ended by CR LF
 * (host text is echoed only through out_echo) and at most FUZZ_TEXT_LINE_MAX
 * characters; every command ('%') is answered with exactly one m-ready line,
 * after the one of the boot; nothing is left half written.
 * "infer N W" runs the model N + W times: an input asking for more than
 * INFERENCE_LIMIT in all is abandoned there (fuzz_io.h), not counted as a
 * fault. */
#include <setjmp.h>
#include <string.h>

#include "fuzz_io.h"
#include "mlperf_runner.c"

#define INFERENCE_LIMIT 20000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static jmp_buf s_abandon;

static void abandon(void) { longjmp(s_abandon, 1); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t i, commands = 0;
    s_cmd_len = 0;
    s_cmd_overflow = 0;
    memset(s_db, 0, sizeof s_db);
    s_db_size = 0;
    s_db_pos = 0;
    s_have_results = 0;
    s_out_len = 0;
    fuzz_uart_reset(FUZZ_UART_TEXT);
    fuzz_uart_input(data, size);
    fuzz_model_reset(INFERENCE_LIMIT);
    fuzz_abandon = abandon;
    if (setjmp(s_abandon) != 0) {
        return 0;
    }
    FUZZ_CHECK(kws_runner_main() == 0, "the runner's main loop failed");
    for (i = 0; i < size; i++) {
        commands += data[i] == (uint8_t)KWS_RUNNER_TERMINATOR;
    }
    FUZZ_CHECK(fuzz_text_ready_lines() == commands + 1u, "%zu m-ready lines for %zu commands",
               fuzz_text_ready_lines(), commands);
    FUZZ_CHECK(fuzz_uart_pending() == 0, "output ends inside a line");
    return 0;
}
