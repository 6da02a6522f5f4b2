/* Time base: DWT CYCCNT where it counts (silicon), SysTick otherwise (QEMU
 * reads CYCCNT as 0). Both run at the core clock; SysTick's interrupt every
 * 2^24 ticks extends either counter to 64 bits. */
#include "board_config.h"
#include "kws_board.h"
#include "kws_hal.h"

#define SYST_CSR 0xE000E010u
#define SYST_RVR 0xE000E014u
#define SYST_CVR 0xE000E018u
#define DEMCR 0xE000EDFCu
#define DWT_CTRL 0xE0001000u
#define DWT_CYCCNT 0xE0001004u
#define DWT_LAR 0xE0001FB0u

static volatile uint32_t s_wraps;
static uint32_t s_dwt_last;
static uint8_t s_use_dwt;

static uint32_t irq_save(void)
{
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    return primask;
}

static void irq_restore(uint32_t primask)
{
    __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
}

static uint64_t dwt_now(void)
{
    uint32_t primask = irq_save();
    uint32_t now = KWS_REG32(DWT_CYCCNT);
    uint64_t result;
    if (now < s_dwt_last) {
        s_wraps++;
    }
    s_dwt_last = now;
    result = ((uint64_t)s_wraps << 32) | now;
    irq_restore(primask);
    return result;
}

void SysTick_Handler(void)
{
    if (s_use_dwt) {
        (void)dwt_now(); /* sampled often enough to see every CYCCNT wrap */
    } else {
        s_wraps++;
    }
}

#if KWS_TICKS_DWT
static int dwt_start(void)
{
    uint32_t before;
    volatile uint32_t spin;
    KWS_REG32(DEMCR) |= 1u << 24; /* TRCENA */
    KWS_REG32(DWT_LAR) = 0xC5ACCE55u; /* unlock (Cortex-M7) */
    KWS_REG32(DWT_CYCCNT) = 0;
    KWS_REG32(DWT_CTRL) |= 1u;
    before = KWS_REG32(DWT_CYCCNT);
    for (spin = 0; spin < 16u; spin++) {
    }
    return KWS_REG32(DWT_CYCCNT) != before;
}
#endif

void kws_ticks_init(void)
{
#if KWS_TICKS_DWT
    s_use_dwt = (uint8_t)dwt_start();
#endif
    KWS_REG32(SYST_RVR) = 0x00FFFFFFu;
    KWS_REG32(SYST_CVR) = 0;
    KWS_REG32(SYST_CSR) = 7u; /* core clock, interrupt, enable */
}

uint64_t kws_ticks_now(void)
{
    uint32_t wraps, count;
    if (s_use_dwt) {
        return dwt_now();
    }
    do { /* re-read if the wrap interrupt ran in between */
        wraps = s_wraps;
        count = KWS_REG32(SYST_CVR);
    } while (wraps != s_wraps);
    return ((uint64_t)wraps << 24) + (0x00FFFFFFu - count);
}

uint32_t kws_ticks_hz(void)
{
    return KWS_F_CPU;
}

const char *kws_ticks_kind(void)
{
    return s_use_dwt ? "dwt" : "systick";
}
