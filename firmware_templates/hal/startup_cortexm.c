/* Reset, vector table and fault reporting for every Cortex-M board. */
#include <stdint.h>
#include <string.h>

#include "board_config.h"
#include "kws_board.h"
#include "kws_hal.h"
#include "kws_protocol.h"

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];
int main(void);
void Reset_Handler(void);
void Default_Handler(void);
void HardFault_Handler(void);
void SysTick_Handler(void);
void kws_fault_report(const uint32_t *stacked);

#define SCB_CPACR 0xE000ED88u
#define SCB_CFSR 0xE000ED28u
#define SCB_HFSR 0xE000ED2Cu
#define SCB_MMFAR 0xE000ED34u
#define SCB_BFAR 0xE000ED38u

void Reset_Handler(void)
{
#if KWS_HAS_FPU
    /* Full access to CP10/CP11 before any code may touch the FPU. */
    KWS_REG32(SCB_CPACR) |= 0xFu << 20;
    __asm__ volatile("dsb 0xF\n\tisb 0xF" ::: "memory");
#endif
    memcpy(_sdata, _sidata, (size_t)((uintptr_t)_edata - (uintptr_t)_sdata));
    memset(_sbss, 0, (size_t)((uintptr_t)_ebss - (uintptr_t)_sbss));
    (void)main();
    kws_reset();
}

void Default_Handler(void)
{
    kws_reset();
}

/* Picks the stack the fault pushed its frame onto and hands it to C. */
__attribute__((naked)) void HardFault_Handler(void)
{
    __asm__ volatile(
        "tst lr, #4\n\t"
        "ite eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "b kws_fault_report\n\t");
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* FAULT event: pc, lr, xpsr, cfsr, hfsr, mmfar, bfar (u32 LE each), then
 * reset, so the host sees why the device rebooted and the new banner. */
__attribute__((used)) void kws_fault_report(const uint32_t *stacked)
{
    static const uint8_t delimiter = 0;
    uint8_t body[28];
    put_u32(body + 0, stacked[6]);
    put_u32(body + 4, stacked[5]);
    put_u32(body + 8, stacked[7]);
    put_u32(body + 12, KWS_REG32(SCB_CFSR));
    put_u32(body + 16, KWS_REG32(SCB_HFSR));
    put_u32(body + 20, KWS_REG32(SCB_MMFAR));
    put_u32(body + 24, KWS_REG32(SCB_BFAR));
    kws_uart_write(&delimiter, 1); /* end any reply the fault interrupted */
    kws_reply_begin(KWS_EVT_FAULT, 0, sizeof body);
    kws_reply_write(body, sizeof body);
    kws_reply_end();
    kws_reset();
}

typedef void (*kws_vector_t)(void);

/* Only the system exceptions: the firmware enables no peripheral IRQ. */
__attribute__((section(".isr_vector"), used)) const kws_vector_t kws_vectors[16] = {
    (kws_vector_t)(uintptr_t)_estack,
    Reset_Handler,
    Default_Handler,   /* NMI */
    HardFault_Handler,
    HardFault_Handler, /* MemManage: reported like a HardFault */
    HardFault_Handler, /* BusFault */
    HardFault_Handler, /* UsageFault */
    0, 0, 0, 0,
    Default_Handler,   /* SVCall */
    Default_Handler,   /* DebugMon */
    0,
    Default_Handler,   /* PendSV */
    SysTick_Handler,
};
