/* Time base: the standard mcycle counter, 64 bits through mcycleh. In QEMU
 * with -icount shift=0 it counts instructions (one per virtual nanosecond),
 * so kws_ticks_hz() is the board's f_cpu, 1 GHz there. */
#include "board_config.h"
#include "kws_hal.h"

void kws_ticks_init(void)
{
    /* mcycle runs from reset; nothing to start. */
}

uint64_t kws_ticks_now(void)
{
    uint32_t hi, lo, again;
    do { /* the high word must not change between the two reads */
        __asm__ volatile("csrr %0, mcycleh" : "=r"(hi));
        __asm__ volatile("csrr %0, mcycle" : "=r"(lo));
        __asm__ volatile("csrr %0, mcycleh" : "=r"(again));
    } while (hi != again);
    return ((uint64_t)hi << 32) | lo;
}

uint32_t kws_ticks_hz(void)
{
    return KWS_F_CPU;
}

const char *kws_ticks_kind(void)
{
    return "mcycle";
}
