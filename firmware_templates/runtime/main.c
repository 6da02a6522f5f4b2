/* tinykws firmware: bring the board up, announce it, answer frames forever. */
#include "board_config.h"
#include "kws_hal.h"
#include "kws_protocol.h"

static void announce_ready(void)
{
    static const char banner[] = "tinykws " KWS_BOARD_ID;
    static const uint8_t delimiter = 0;
    /* A leading delimiter ends whatever half frame the host may have seen. */
    kws_uart_write(&delimiter, 1);
    kws_reply_begin(KWS_EVT_READY, 0, (uint16_t)(sizeof banner - 1u));
    kws_reply_write(banner, sizeof banner - 1u);
    kws_reply_end();
}

int main(void)
{
    kws_board_init();
    kws_ticks_init();
    kws_uart_init();
    announce_ready();
    for (;;) {
        int c = kws_uart_getc();
        if (c < 0) {
            return 0; /* host build: the input has ended */
        }
        kws_protocol_feed((uint8_t)c);
    }
}
