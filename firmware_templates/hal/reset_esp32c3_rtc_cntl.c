/* ESP32-C3 system reset: RTC_CNTL_OPTIONS0_REG.RTC_CNTL_SW_SYS_RST (bit 31)
 * resets the digital system; the ROM then boots the flash image again
 * (TRM ch. 6 Reset and Clock, "System Reset"; register in ch. 9 Low-power
 * Management). Base (RTC_CNTL, 0x60008000) from the board file. */
#include "board_config.h"
#include "kws_board.h"
#include "kws_hal.h"

#define RTC_CNTL_OPTIONS0 0x00u
#define RTC_CNTL_SW_SYS_RST (1u << 31)

void kws_reset(void)
{
    __asm__ volatile("fence" ::: "memory");
    KWS_REG32(KWS_RESET_BASE + RTC_CNTL_OPTIONS0) |= RTC_CNTL_SW_SYS_RST;
    for (;;) {
    }
}
