/* ESP32-C3 UART0, polled, 8N1 (TRM ch. 26 UART Controller). UART0 is what the
 * DevKits' USB-UART bridge is wired to (U0TXD GPIO21, U0RXD GPIO20, already in
 * their UART function after reset, IO MUX function 0). Its core clock is the
 * 40 MHz crystal (UART_SCLK_SEL = 3), so the rate does not move when the CPU
 * clock switches to the PLL; UART_CLKDIV_REG holds the divisor in 16ths. */
#include "board_config.h"
#include "kws_board.h"
#include "kws_hal.h"

#define UART_FIFO KWS_REG32(KWS_UART_BASE + 0x00u)
#define UART_CLKDIV KWS_REG32(KWS_UART_BASE + 0x14u)    /* CLKDIV [11:0], FRAG [23:20] */
#define UART_STATUS KWS_REG32(KWS_UART_BASE + 0x1Cu)    /* RXFIFO_CNT [9:0], TXFIFO_CNT [25:16] */
#define UART_CONF0 KWS_REG32(KWS_UART_BASE + 0x20u)
#define UART_CLK_CONF KWS_REG32(KWS_UART_BASE + 0x78u)
#define UART_ID KWS_REG32(KWS_UART_BASE + 0x80u)        /* REG_UPDATE [31] */
/* CONF0: BIT_NUM = 3 (8 bits), STOP_BIT_NUM = 1 (1 bit), no parity, MEM_CLK_EN */
#define CONF0_8N1 ((3u << 2) | (1u << 4) | (1u << 28))
#define CONF0_RXFIFO_RST (1u << 17)
#define CONF0_TXFIFO_RST (1u << 18)
/* CLK_CONF: SCLK_DIV_NUM = 0 (divide by 1), SCLK_SEL = 3 (XTAL), SCLK_EN,
 * TX_SCLK_EN, RX_SCLK_EN */
#define CLK_CONF_XTAL ((3u << 20) | (1u << 22) | (1u << 24) | (1u << 25))
#define TX_FIFO_BYTES 128u
/* 16 clock / baud, rounded: generator/boards.py uart_rate() checks it. */
#define SIXTEENTHS ((16u * KWS_UART_CLOCK_HZ + KWS_UART_BAUD / 2u) / KWS_UART_BAUD)

static unsigned tx_count(void)
{
    return (UART_STATUS >> 16) & 0x3FFu;
}

void kws_uart_init(void)
{
    unsigned spin;
    /* Let the ROM's boot message leave first (at most a FIFO's worth). */
    for (spin = 0; tx_count() != 0u && spin < 1000000u; spin++) {
    }
    UART_CLK_CONF = CLK_CONF_XTAL;
    UART_CLKDIV = (SIXTEENTHS >> 4) | ((SIXTEENTHS & 15u) << 20);
    UART_CONF0 = CONF0_8N1 | CONF0_RXFIFO_RST | CONF0_TXFIFO_RST;
    UART_CONF0 = CONF0_8N1;
    /* Carry the new settings into the UART core's clock domain. */
    UART_ID |= 1u << 31;
    for (spin = 0; (UART_ID & (1u << 31)) && spin < 100000u; spin++) {
    }
}

void kws_uart_write(const uint8_t *data, size_t n)
{
    while (n--) {
        while (tx_count() >= TX_FIFO_BYTES - 1u) {
        }
        UART_FIFO = *data++;
    }
}

int kws_uart_getc(void)
{
    while ((UART_STATUS & 0x3FFu) == 0u) {
        (void)kws_ticks_now(); /* keeps the 32-bit cycle counter's wraps counted */
    }
    return (int)(UART_FIFO & 0xFFu);
}
