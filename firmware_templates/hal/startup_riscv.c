/* Reset, trap vector and fault reporting for every RISC-V board (RV32, machine
 * mode, no interrupts). The linker script (linker_<layout>.ld.j2) places
 * _start where the board starts executing. */
#include <stdint.h>
#include <string.h>

#include "board_config.h"
#include "kws_board.h"
#include "kws_hal.h"
#include "kws_protocol.h"

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[];
extern uint32_t _siiram[], _siram[], _eiram[];
int main(void);
void kws_start(void);
void kws_trap_report(uint32_t ra);

/* Before any C: interrupts off (a ROM may leave them on), gp and sp, and the
 * trap vector. mtvec in vectored mode (MODE = 1), the one mode every core here
 * has (the ESP32-C3's CPU has only this one): synchronous exceptions enter at
 * the table's base, interrupt n at base + 4 n; all 32 entries report a fault,
 * since the firmware enables no interrupt. The table must be 256-byte aligned
 * and its entries 4 bytes long, so no compressed jumps in it. */
__asm__(
    ".section .text.entry, \"ax\"\n"
    ".globl _start\n"
    "_start:\n"
    "    csrci mstatus, 8\n"
    ".option push\n"
    ".option norelax\n"
    "    la gp, __global_pointer$\n"
    ".option pop\n"
    "    la sp, _estack\n"
    "    la t0, kws_trap_vector\n"
    "    ori t0, t0, 1\n"
    "    csrw mtvec, t0\n"
    "    j kws_start\n"
    ".section .text.kws_trap_vector, \"ax\"\n"
    ".balign 256\n"
    ".globl kws_trap_vector\n"
    "kws_trap_vector:\n"
    ".option push\n"
    ".option norvc\n"
    ".rept 32\n"
    "    j kws_trap_entry\n"
    ".endr\n"
    ".option pop\n"
    "kws_trap_entry:\n"
    "    mv a0, ra\n"      /* ra as the fault left it; the CSRs keep the rest */
    "    la sp, _estack\n" /* a fresh stack: the old one may be what failed */
    "    j kws_trap_report\n");

void kws_start(void)
{
    /* Code that must not wait for a flash cache runs from RAM: copied before
     * anything fetches from there (RV32IMC has no fence.i; nothing has run
     * from this memory yet). */
    memcpy(_siram, _siiram, (size_t)((uintptr_t)_eiram - (uintptr_t)_siram));
    __asm__ volatile("fence" ::: "memory");
    memcpy(_sdata, _sidata, (size_t)((uintptr_t)_edata - (uintptr_t)_sdata));
    memset(_sbss, 0, (size_t)((uintptr_t)_ebss - (uintptr_t)_sbss));
    (void)main();
    kws_reset();
}

#define READ_CSR(name) \
    __extension__({ uint32_t v_; __asm__ volatile("csrr %0, " #name : "=r"(v_)); v_; })

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* FAULT event, RISC-V layout: pc (mepc), ra, mstatus, mcause, mtval (u32 LE
 * each, 20 bytes; the Cortex-M layout has 28, so the length tells them
 * apart), then reset, so the host sees why the device rebooted and the new
 * banner. */
void kws_trap_report(uint32_t ra)
{
    static const uint8_t delimiter = 0;
    uint8_t body[20];
    put_u32(body + 0, READ_CSR(mepc));
    put_u32(body + 4, ra);
    put_u32(body + 8, READ_CSR(mstatus));
    put_u32(body + 12, READ_CSR(mcause));
    put_u32(body + 16, READ_CSR(mtval));
    kws_uart_write(&delimiter, 1); /* end any reply the fault interrupted */
    kws_reply_begin(KWS_EVT_FAULT, 0, sizeof body);
    kws_reply_write(body, sizeof body);
    kws_reply_end();
    kws_reset();
}
