/* STM32 USART, F1/F2/F4 register layout (SR/DR/BRR/CR1): polled. */
#include "board_config.h"
#include "kws_board.h"
#include "kws_hal.h"

#define USART_SR KWS_REG32(KWS_UART_BASE + 0x00u)
#define USART_DR KWS_REG32(KWS_UART_BASE + 0x04u)
#define USART_BRR KWS_REG32(KWS_UART_BASE + 0x08u)
#define USART_CR1 KWS_REG32(KWS_UART_BASE + 0x0Cu)
#define SR_ORE (1u << 3)
#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)

void kws_uart_init(void)
{
    /* Oversampling by 16: BRR is the rounded clock / baud ratio. */
    USART_BRR = (KWS_UART_CLOCK_HZ + KWS_UART_BAUD / 2u) / KWS_UART_BAUD;
    USART_CR1 = (1u << 13) | (1u << 3) | (1u << 2); /* UE, TE, RE */
}

void kws_uart_write(const uint8_t *data, size_t n)
{
    while (n--) {
        while (!(USART_SR & SR_TXE)) {
        }
        USART_DR = *data++;
    }
}

int kws_uart_getc(void)
{
    uint32_t sr;
    do {
        sr = USART_SR;
    } while (!(sr & (SR_RXNE | SR_ORE)));
    /* Reading SR then DR also clears an overrun; the lost byte shows up
     * on the host as a CRC error and the frame is sent again. */
    return (int)(USART_DR & 0xFFu);
}
