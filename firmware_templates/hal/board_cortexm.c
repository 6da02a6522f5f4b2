/* Board bring-up shared by every Cortex-M board: the per-board facts come
 * from board_config.h and board_tables.c, both rendered from the board file. */
#include "board_config.h"
#include "kws_board.h"
#include "kws_hal.h"

#define SCB_CCR 0xE000ED14u
#define SCB_AIRCR 0xE000ED0Cu
#define SCB_CCSIDR 0xE000ED80u
#define SCB_CSSELR 0xE000ED84u
#define SCB_ICIALLU 0xE000EF50u
#define SCB_DCISW 0xE000EF60u

static inline void barriers(void)
{
    __asm__ volatile("dsb 0xF\n\tisb 0xF" ::: "memory");
}

#if KWS_ICACHE
static void icache_enable(void)
{
    barriers();
    KWS_REG32(SCB_ICIALLU) = 0;
    barriers();
    KWS_REG32(SCB_CCR) |= 1u << 17;
    barriers();
}
#endif

#if KWS_DCACHE
static void dcache_enable(void)
{
    uint32_t ccsidr, sets, ways;
    KWS_REG32(SCB_CSSELR) = 0; /* level 1 data cache */
    barriers();
    ccsidr = KWS_REG32(SCB_CCSIDR);
    /* Invalidate every line by set and way before turning the cache on. */
    for (sets = (ccsidr >> 13) & 0x7FFFu;; sets--) {
        for (ways = (ccsidr >> 3) & 0x3FFu;; ways--) {
            KWS_REG32(SCB_DCISW) = (sets << 5) | (ways << 30);
            if (ways == 0) break;
        }
        if (sets == 0) break;
    }
    barriers();
    KWS_REG32(SCB_CCR) |= 1u << 16;
    barriers();
}
#endif

void kws_board_init(void)
{
    size_t i;
#if !KWS_CLOCK_NONE
    kws_clock_init();
#endif
#if KWS_ICACHE
    icache_enable();
#endif
#if KWS_DCACHE
    dcache_enable();
#endif
    /* The tables exist only where the board file lists entries. */
#if KWS_ENABLE_BIT_COUNT
    for (i = 0; i < KWS_ENABLE_BIT_COUNT; i++) {
        KWS_REG32(kws_enable_bits[i].reg) |= 1u << kws_enable_bits[i].bit;
        (void)KWS_REG32(kws_enable_bits[i].reg); /* the clock must be on before use */
    }
#endif
#if KWS_AF_PIN_COUNT
    for (i = 0; i < KWS_AF_PIN_COUNT; i++) {
        kws_gpio_af(&kws_af_pins[i]);
    }
#endif
#if KWS_LED_COUNT
    for (i = 0; i < KWS_LED_COUNT; i++) {
        kws_gpio_output(&kws_leds[i]);
    }
#endif
    (void)i;
}

void kws_led_set(unsigned index, int on)
{
#if KWS_LED_COUNT
    if (index < KWS_LED_COUNT) {
        kws_gpio_write(&kws_leds[index], on);
    }
#else
    (void)index;
    (void)on;
#endif
}

void kws_reset(void)
{
    barriers();
    KWS_REG32(SCB_AIRCR) = 0x05FA0004u; /* VECTKEY | SYSRESETREQ */
    barriers();
    for (;;) {
    }
}
