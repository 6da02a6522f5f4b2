/* Arm CMSDK APB UART (MPS2 boards): polled transmit and receive. */
#include "board_config.h"
#include "kws_board.h"
#include "kws_hal.h"

#define UART_DATA KWS_REG32(KWS_UART_BASE + 0x00u)
#define UART_STATE KWS_REG32(KWS_UART_BASE + 0x04u)
#define UART_CTRL KWS_REG32(KWS_UART_BASE + 0x08u)
#define UART_BAUDDIV KWS_REG32(KWS_UART_BASE + 0x10u)
#define STATE_TX_FULL 1u
#define STATE_RX_FULL 2u

void kws_uart_init(void)
{
    UART_BAUDDIV = KWS_UART_CLOCK_HZ / KWS_UART_BAUD;
    UART_CTRL = 3u; /* TX and RX enable */
}

void kws_uart_write(const uint8_t *data, size_t n)
{
    while (n--) {
        while (UART_STATE & STATE_TX_FULL) {
        }
        UART_DATA = *data++;
    }
}

int kws_uart_getc(void)
{
    while (!(UART_STATE & STATE_RX_FULL)) {
    }
    return (int)(UART_DATA & 0xFFu);
}
