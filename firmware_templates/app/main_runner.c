/* tinykws firmware built with a benchmark runner (gen-firmware --runner):
 * bring the board up as runtime/main.c does, then hand the UART to the
 * runner's text protocol instead of the binary frames of docs/protocol.md. */
#include "kws_hal.h"
#include "runner_config.h"

int main(void)
{
    kws_board_init();
    kws_ticks_init();
    kws_uart_init();
    return kws_runner_main(); /* returns only on the host, when stdin ends */
}
