/* ESP32-C3 watchdogs: the ROM leaves the flash-boot watchdogs armed (the main
 * system watchdog of timer group 0 and the RTC watchdog, with
 * *_FLASHBOOT_MOD_EN) and the super watchdog runs from power-on; a firmware
 * that neither feeds nor disarms them is reset within seconds. Disarm the
 * MWDTs and the RWDT; let the super watchdog feed itself (as ESP-IDF's
 * bootloader does). TRM ch. 12 Watchdog Timers (WDT) and ch. 11 Timer Group
 * (TIMG_WDTCONFIG0_REG, TIMG_WDTWPROTECT_REG), ch. 9 Low-power Management
 * (RTC_CNTL_WDTCONFIG0_REG, RTC_CNTL_WDTWPROTECT_REG, RTC_CNTL_SWD_CONF_REG,
 * RTC_CNTL_SWD_WPROTECT_REG). Bases from the board file. */
#include "board_config.h"
#include "kws_board.h"

#define WDT_WKEY 0x50D83AA1u             /* write key of the MWDT and RWDT registers */
#define SWD_WKEY 0x8F1D312Au             /* write key of the super watchdog */
#define TIMG_WDTCONFIG0 0x48u
#define TIMG_WDTWPROTECT 0x64u
#define TIMG_WDT_EN (1u << 31)
#define TIMG_WDT_CONF_UPDATE_EN (1u << 22) /* take the new configuration */
#define TIMG_WDT_FLASHBOOT_MOD_EN (1u << 14)
#define RTC_WDTCONFIG0 0x90u
#define RTC_WDTWPROTECT 0xA8u
#define RTC_WDT_EN (1u << 31)
#define RTC_WDT_FLASHBOOT_MOD_EN (1u << 12)
#define RTC_SWD_CONF 0xACu
#define RTC_SWD_WPROTECT 0xB0u
#define RTC_SWD_AUTO_FEED_EN (1u << 31)

void kws_watchdogs_disable(void)
{
    static const uint32_t groups[KWS_WDT_TIMG_COUNT] = KWS_WDT_TIMG_BASES;
    unsigned i;
    for (i = 0; i < KWS_WDT_TIMG_COUNT; i++) {
        KWS_REG32(groups[i] + TIMG_WDTWPROTECT) = WDT_WKEY;
        KWS_REG32(groups[i] + TIMG_WDTCONFIG0) &= ~(TIMG_WDT_EN | TIMG_WDT_FLASHBOOT_MOD_EN);
        KWS_REG32(groups[i] + TIMG_WDTCONFIG0) |= TIMG_WDT_CONF_UPDATE_EN;
        KWS_REG32(groups[i] + TIMG_WDTWPROTECT) = 0u; /* lock again */
    }
    KWS_REG32(KWS_WDT_RTC_CNTL + RTC_WDTWPROTECT) = WDT_WKEY;
    KWS_REG32(KWS_WDT_RTC_CNTL + RTC_WDTCONFIG0) &= ~(RTC_WDT_EN | RTC_WDT_FLASHBOOT_MOD_EN);
    KWS_REG32(KWS_WDT_RTC_CNTL + RTC_WDTWPROTECT) = 0u;
    KWS_REG32(KWS_WDT_RTC_CNTL + RTC_SWD_WPROTECT) = SWD_WKEY;
    KWS_REG32(KWS_WDT_RTC_CNTL + RTC_SWD_CONF) |= RTC_SWD_AUTO_FEED_EN;
    KWS_REG32(KWS_WDT_RTC_CNTL + RTC_SWD_WPROTECT) = 0u;
}
