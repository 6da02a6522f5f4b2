/* ESP32-C3 registers shared by its drivers. Addresses and fields are from
 * Espressif's ESP32-C3 Technical Reference Manual (TRM, v1.x; chapter named
 * with each block), cross-checked with Espressif's register description
 * (espressif/svd, esp32c3.svd) and ESP-IDF's soc headers. The board file
 * gives the peripheral bases a board may move; these are the chip's own. */
#ifndef SOC_ESP32C3_H
#define SOC_ESP32C3_H

#include <stdint.h>

#include "kws_board.h"

/* TRM ch. 16 System Registers (SYSTEM, base 0x600C0000). */
#define ESP_SYSTEM_CPU_PER_CONF 0x600C0008u    /* CPUPERIOD_SEL [1:0], PLL_FREQ_SEL [2] */
#define ESP_SYSTEM_PERIP_CLK_EN0 0x600C0010u   /* SYSTIMER_CLK_EN [29] */
#define ESP_SYSTEM_PERIP_RST_EN0 0x600C0018u   /* SYSTIMER_RST [29] */
#define ESP_SYSTEM_SYSCLK_CONF 0x600C0058u     /* PRE_DIV_CNT [9:0], SOC_CLK_SEL [11:10] */

/* TRM ch. 10 System Timer (SYSTIMER, base 0x60023000): unit 0 counts from
 * reset at 16 MHz (XTAL_CLK 40 MHz / 2.5), whatever the CPU clock is. */
#define ESP_SYSTIMER_CONF 0x60023000u          /* CLK_EN [31], TIMER_UNIT0_WORK_EN [30] */
#define ESP_SYSTIMER_UNIT0_OP 0x60023004u      /* TIMER_UNIT0_UPDATE [30], VALUE_VALID [29] */
#define ESP_SYSTIMER_UNIT0_VALUE_LO 0x60023044u
#define ESP_SYSTIMER_HZ 16000000u

/* TRM ch. 1 ESP-RISC-V CPU, "Performance Counter": mpcer selects the event
 * (bit 0: clock cycles), mpcmr enables counting (bit 0, COUNT_EN; bit 1
 * COUNT_SAT = 0: wrap around), mpccr is the 32-bit count. Custom CSRs. */
#define ESP_CSR_MPCER 0x7E0
#define ESP_CSR_MPCMR 0x7E1
#define ESP_CSR_MPCCR 0x7E2
#define ESP_STR_(x) #x
#define ESP_STR(x) ESP_STR_(x)

static inline uint32_t esp_cycles(void)
{
    uint32_t v;
    __asm__ volatile("csrr %0, " ESP_STR(ESP_CSR_MPCCR) : "=r"(v));
    return v;
}

static inline void esp_cycles_start(void)
{
    __asm__ volatile("csrw " ESP_STR(ESP_CSR_MPCER) ", %0" ::"r"(1u));
    __asm__ volatile("csrw " ESP_STR(ESP_CSR_MPCMR) ", %0" ::"r"(1u));
}

/* The system timer's clock on and out of reset, unit 0 counting, and its
 * registers readable (CLK_EN: with 0 the register clock runs for writes only). */
static inline void esp_systimer_start(void)
{
    KWS_REG32(ESP_SYSTEM_PERIP_CLK_EN0) |= 1u << 29;
    KWS_REG32(ESP_SYSTEM_PERIP_RST_EN0) &= ~(1u << 29);
    KWS_REG32(ESP_SYSTIMER_CONF) |= (1u << 31) | (1u << 30);
}

/* SYSTIMER unit 0, low 32 bits: latch, wait for the value, read it. */
static inline uint32_t esp_systimer_now(void)
{
    KWS_REG32(ESP_SYSTIMER_UNIT0_OP) = 1u << 30;
    while (!(KWS_REG32(ESP_SYSTIMER_UNIT0_OP) & (1u << 29))) {
    }
    return KWS_REG32(ESP_SYSTIMER_UNIT0_VALUE_LO);
}

static inline void esp_delay_us(uint32_t us)
{
    uint32_t start = esp_systimer_now();
    while (esp_systimer_now() - start < us * (ESP_SYSTIMER_HZ / 1000000u)) {
    }
}

#endif
