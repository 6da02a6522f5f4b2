/* Reset through QEMU virt's SiFive test device ("sifive,test0", 0x100000 in
 * its device tree): writing 0x7777 (FINISHER_RESET) resets the machine, which
 * loads the firmware's image again. */
#include "board_config.h"
#include "kws_board.h"
#include "kws_hal.h"

#define FINISHER_RESET 0x7777u

void kws_reset(void)
{
    __asm__ volatile("fence" ::: "memory");
    KWS_REG32(KWS_RESET_BASE) = FINISHER_RESET;
    for (;;) {
    }
}
