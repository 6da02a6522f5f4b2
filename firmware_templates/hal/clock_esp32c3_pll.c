/* ESP32-C3 CPU clock: 160 MHz (or 80) from the 480 MHz BBPLL.
 *
 * After a power-on reset the ROM runs from the 40 MHz crystal (ESP-IDF:
 * CPU_CLK_FREQ_ROM) and leaves the PLL unconfigured, so the PLL is powered up
 * and programmed before the CPU is switched to it:
 *
 * 1. Digital side, in the TRM (ch. 6 Reset and Clock, "CPU Clock"; registers
 *    in ch. 16 System Registers and ch. 9 Low-power Management):
 *    RTC_CNTL_OPTIONS0_REG: clear BB_I2C_FORCE_PD (6), BBPLL_I2C_FORCE_PD (8)
 *    and BBPLL_FORCE_PD (10) to power the PLL and its configuration bus;
 *    SYSTEM_CPU_PER_CONF_REG: PLL_FREQ_SEL = 1 (480 MHz), CPUPERIOD_SEL
 *    (0: 80 MHz, 1: 160 MHz); SYSTEM_SYSCLK_CONF_REG: PRE_DIV_CNT = 0 and
 *    SOC_CLK_SEL = 1 (PLL_CLK).
 * 2. Analog side, which the TRM does not document: the PLL's dividers sit on
 *    an internal I2C bus (block 0x66, host 0) written through the ROM's
 *    rom_i2c_writeReg/rom_i2c_writeReg_Mask (0x4000195C/0x40001960 in
 *    ESP-IDF's esp32c3.rom.ld); bus and calibration control at 0x6000E040
 *    and 0x6000E044 (ESP-IDF soc/regi2c_defs.h); the values for a 480 MHz PLL
 *    from a 40 MHz crystal and their order are ESP-IDF's
 *    (hal/clk_tree_ll.h clk_ll_bbpll_set_config, rtc_clk_init.c). These
 *    ROM functions keep their state in the ROM's data above 0x3FCDE710,
 *    which the linker script leaves alone.
 *
 * ticks_mpccr.c measures the CPU clock afterwards, so INFO reports the
 * frequency reached, whatever happened here. */
#include "board_config.h"
#include "kws_board.h"
#include "soc_esp32c3.h"

#define RTC_CNTL_OPTIONS0 0x60008000u
#define BB_I2C_FORCE_PD (1u << 6)
#define BBPLL_I2C_FORCE_PD (1u << 8)
#define BBPLL_FORCE_PD (1u << 10)
#define PLL_FREQ_SEL_480M (1u << 2)
#define CPUPERIOD_SEL_MASK 3u
#define PRE_DIV_CNT_MASK 0x3FFu
#define SOC_CLK_SEL_SHIFT 10u
#define SOC_CLK_SEL_MASK (3u << SOC_CLK_SEL_SHIFT)
#define SOC_CLK_SEL_PLL (1u << SOC_CLK_SEL_SHIFT)

#define I2C_MST_ANA_CONF0 0x6000E040u
#define BBPLL_STOP_FORCE_HIGH (1u << 2)
#define BBPLL_STOP_FORCE_LOW (1u << 3)
#define ANA_CONFIG 0x6000E044u
#define ANA_CONFIG_ALL_PD (0x3FFu << 8) /* every analog I2C slave powered down */
#define ANA_I2C_BBPLL_PD (1u << 17)

#define I2C_BBPLL 0x66u
#define I2C_BBPLL_HOSTID 0u
#define BBPLL_OC_REF_DIV 2u   /* DIV_REF [3:0], DCHGP [6:4] */
#define BBPLL_OC_DIV_7_0 3u
#define BBPLL_MODE_HF 4u
#define BBPLL_OC_DR 5u        /* DR1 [2:0], DR3 [6:4] */
#define BBPLL_OC_DCUR 6u      /* DCUR [2:0], DHREF_SEL [5:4], DLREF_SEL [7:6] */
#define BBPLL_OC_VCO_DBIAS 9u /* [1:0] */

typedef void (*rom_i2c_write_t)(uint8_t block, uint8_t host, uint8_t reg, uint8_t data);
typedef void (*rom_i2c_write_mask_t)(uint8_t block, uint8_t host, uint8_t reg, uint8_t msb,
                                     uint8_t lsb, uint8_t data);
#define ROM_I2C_WRITE ((rom_i2c_write_t)0x4000195Cu)
#define ROM_I2C_WRITE_MASK ((rom_i2c_write_mask_t)0x40001960u)

static void bbpll_write(uint8_t reg, uint8_t data)
{
    ROM_I2C_WRITE(I2C_BBPLL, I2C_BBPLL_HOSTID, reg, data);
}

static void bbpll_write_field(uint8_t reg, uint8_t msb, uint8_t lsb, uint8_t data)
{
    ROM_I2C_WRITE_MASK(I2C_BBPLL, I2C_BBPLL_HOSTID, reg, msb, lsb, data);
}

void kws_clock_init(void)
{
    uint32_t per;
    esp_systimer_start(); /* times the PLL's lock, from the crystal */
    /* The configuration bus: reset every slave, then enable the PLL's. */
    KWS_REG32(ANA_CONFIG) |= ANA_CONFIG_ALL_PD;
    KWS_REG32(ANA_CONFIG) &= ~ANA_I2C_BBPLL_PD;
    KWS_REG32(RTC_CNTL_OPTIONS0) &= ~(BB_I2C_FORCE_PD | BBPLL_I2C_FORCE_PD | BBPLL_FORCE_PD);
    KWS_REG32(ESP_SYSTEM_CPU_PER_CONF) |= PLL_FREQ_SEL_480M;
    /* Self-calibration starts with the new settings. */
    KWS_REG32(I2C_MST_ANA_CONF0) &= ~BBPLL_STOP_FORCE_HIGH;
    KWS_REG32(I2C_MST_ANA_CONF0) |= BBPLL_STOP_FORCE_LOW;
    /* 480 MHz from 40 MHz: div_ref 0, div7_0 8, dr1 0, dr3 0, dchgp 5, dcur 3, dbias 2 */
    bbpll_write(BBPLL_MODE_HF, 0x6Bu);
    bbpll_write(BBPLL_OC_REF_DIV, (uint8_t)((5u << 4) | 0u));
    bbpll_write(BBPLL_OC_DIV_7_0, 8u);
    bbpll_write_field(BBPLL_OC_DR, 2u, 0u, 0u);
    bbpll_write_field(BBPLL_OC_DR, 6u, 4u, 0u);
    bbpll_write(BBPLL_OC_DCUR, (uint8_t)((2u << 6) | (1u << 4) | 3u));
    bbpll_write_field(BBPLL_OC_VCO_DBIAS, 1u, 0u, 2u);
    bbpll_write_field(BBPLL_OC_DCUR, 5u, 4u, 2u); /* DHREF_SEL */
    bbpll_write_field(BBPLL_OC_DCUR, 7u, 6u, 1u); /* DLREF_SEL */
    esp_delay_us(100u); /* lock time, with margin */
    per = KWS_REG32(ESP_SYSTEM_CPU_PER_CONF) & ~CPUPERIOD_SEL_MASK;
    KWS_REG32(ESP_SYSTEM_CPU_PER_CONF) = per | KWS_ESP32C3_CPUPERIOD_SEL;
    KWS_REG32(ESP_SYSTEM_SYSCLK_CONF) &= ~PRE_DIV_CNT_MASK;
    KWS_REG32(ESP_SYSTEM_SYSCLK_CONF) =
        (KWS_REG32(ESP_SYSTEM_SYSCLK_CONF) & ~SOC_CLK_SEL_MASK) | SOC_CLK_SEL_PLL;
}
