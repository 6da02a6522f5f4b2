/* STM32 USART, F0/F3/F7/L4 register layout (ISR/ICR/RDR/TDR): polled. */
#include "board_config.h"
#include "kws_board.h"
#include "kws_hal.h"

#define USART_CR1 KWS_REG32(KWS_UART_BASE + 0x00u)
#define USART_BRR KWS_REG32(KWS_UART_BASE + 0x0Cu)
#define USART_ISR KWS_REG32(KWS_UART_BASE + 0x1Cu)
#define USART_ICR KWS_REG32(KWS_UART_BASE + 0x20u)
#define USART_RDR KWS_REG32(KWS_UART_BASE + 0x24u)
#define USART_TDR KWS_REG32(KWS_UART_BASE + 0x28u)
#define ISR_ORE (1u << 3)
#define ISR_RXNE (1u << 5)
#define ISR_TXE (1u << 7)

void kws_uart_init(void)
{
    /* Oversampling by 16 (OVER8 = 0): BRR = USARTDIV = kernel clock / baud,
     * rounded, at least 16 (RM0385). generator/boards.py checks the board's
     * rate gives such a divisor within 1.5 %. */
    USART_BRR = (KWS_UART_CLOCK_HZ + KWS_UART_BAUD / 2u) / KWS_UART_BAUD;
    USART_CR1 = (1u << 3) | (1u << 2) | 1u; /* TE, RE, UE */
}

void kws_uart_write(const uint8_t *data, size_t n)
{
    while (n--) {
        while (!(USART_ISR & ISR_TXE)) {
        }
        USART_TDR = *data++;
    }
}

int kws_uart_getc(void)
{
    for (;;) {
        uint32_t isr = USART_ISR;
        if (isr & ISR_ORE) {
            /* An overrun blocks reception until cleared; the lost byte
             * shows up on the host as a CRC error and a retransmit. */
            USART_ICR = ISR_ORE;
        }
        if (isr & ISR_RXNE) {
            return (int)(USART_RDR & 0xFFu);
        }
    }
}
