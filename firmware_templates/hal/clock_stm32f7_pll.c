/* STM32F7 clock tree: HSE -> PLL -> SYSCLK with over-drive and flash wait
 * states (RM0385 section 5). The register values are computed by the
 * generator from the board file; this file only applies them in order. */
#include "board_config.h"
#include "kws_board.h"

#define RCC_CR KWS_REG32(0x40023800u)
#define RCC_PLLCFGR KWS_REG32(0x40023804u)
#define RCC_CFGR KWS_REG32(0x40023808u)
#define RCC_APB1ENR KWS_REG32(0x40023840u)
#define PWR_CR1 KWS_REG32(0x40007000u)
#define PWR_CSR1 KWS_REG32(0x40007004u)
#define FLASH_ACR KWS_REG32(0x40023C00u)

void kws_clock_init(void)
{
    RCC_APB1ENR |= 1u << 28; /* PWR */
    (void)RCC_APB1ENR;
    PWR_CR1 |= 3u << 14;     /* voltage scale 1 */
    RCC_CR |= KWS_RCC_CR_HSE;
    while (!(RCC_CR & (1u << 17))) { /* HSERDY */
    }
    RCC_PLLCFGR = KWS_RCC_PLLCFGR;
    RCC_CR |= 1u << 24;      /* PLLON */
#if KWS_CLOCK_OVERDRIVE
    PWR_CR1 |= 1u << 16;     /* ODEN */
    while (!(PWR_CSR1 & (1u << 16))) {
    }
    PWR_CR1 |= 1u << 17;     /* ODSWEN */
    while (!(PWR_CSR1 & (1u << 17))) {
    }
#endif
    while (!(RCC_CR & (1u << 25))) { /* PLLRDY */
    }
    FLASH_ACR = KWS_FLASH_ACR;
    while ((FLASH_ACR & 15u) != (KWS_FLASH_ACR & 15u)) {
    }
    RCC_CFGR = KWS_RCC_CFGR_PRESCALERS | 2u; /* SW = PLL */
    while ((RCC_CFGR & (3u << 2)) != (2u << 2)) {
    }
}
