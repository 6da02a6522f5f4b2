/* NS16550A UART (QEMU virt's UART0): polled, 8N1, FIFOs on. Registers one byte
 * apart (QEMU virt: reg-shift 0); DLL/DLM while LCR.DLAB is set. */
#include "board_config.h"
#include "kws_board.h"
#include "kws_hal.h"

#define REG8(offset) (*(volatile uint8_t *)(uintptr_t)(KWS_UART_BASE + (offset)))
#define RBR_THR REG8(0u) /* DLL with DLAB */
#define IER REG8(1u)     /* DLM with DLAB */
#define FCR REG8(2u)
#define LCR REG8(3u)
#define LSR REG8(5u)
#define LCR_DLAB 0x80u
#define LCR_8N1 0x03u
#define FCR_ENABLE_AND_CLEAR 0x07u
#define LSR_DATA_READY 0x01u
#define LSR_THR_EMPTY 0x20u
/* clock / (16 baud), rounded: generator/boards.py uart_rate() checks it. */
#define DIVISOR ((KWS_UART_CLOCK_HZ + 8u * KWS_UART_BAUD) / (16u * KWS_UART_BAUD))

void kws_uart_init(void)
{
    IER = 0u;
    LCR = LCR_DLAB;
    RBR_THR = (uint8_t)(DIVISOR & 0xFFu);
    IER = (uint8_t)(DIVISOR >> 8);
    LCR = LCR_8N1;
    FCR = FCR_ENABLE_AND_CLEAR;
}

void kws_uart_write(const uint8_t *data, size_t n)
{
    while (n--) {
        while (!(LSR & LSR_THR_EMPTY)) {
        }
        RBR_THR = *data++;
    }
}

int kws_uart_getc(void)
{
    while (!(LSR & LSR_DATA_READY)) {
    }
    return (int)RBR_THR;
}
