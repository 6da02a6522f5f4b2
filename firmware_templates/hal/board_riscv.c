/* Board bring-up shared by the RISC-V boards: watchdogs, clock and LEDs where
 * the board file has them (board_config.h, board_tables.c). Reset is the
 * board's reset_<driver>.c, the UART its uart_<driver>.c. */
#include "board_config.h"
#include "kws_board.h"
#include "kws_hal.h"

void kws_board_init(void)
{
#if KWS_WATCHDOGS
    kws_watchdogs_disable(); /* first: the ROM's flash-boot watchdogs are running */
#endif
#if !KWS_CLOCK_NONE
    kws_clock_init();
#endif
#if KWS_LED_COUNT
    kws_leds_init();
#endif
}

void kws_led_set(unsigned index, int on)
{
#if KWS_LED_COUNT
    if (index < KWS_LED_COUNT) {
        kws_leds_write(index, on);
    }
#else
    (void)index;
    (void)on;
#endif
}
