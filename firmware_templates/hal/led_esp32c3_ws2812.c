/* The ESP32-C3 DevKits' RGB LED: one addressable WS2812-type pixel on GPIO8
 * (ESP32-C3-DevKitM-1 and -DevKitC-02 user guides). Each board-file LED is one
 * colour channel of it; a change sends the pixel its 24 bits (green, red,
 * blue, most significant bit first), timed with the cycle counter, from RAM
 * so that no flash-cache miss stretches a pulse.
 *
 * GPIO: IO_MUX_GPIOn_REG (0x60009004 + 4 n) MCU_SEL = 1 selects the GPIO
 * function; GPIO_FUNCn_OUT_SEL_CFG_REG (0x60004554 + 4 n) OUT_SEL = 128
 * drives the pin from GPIO_OUT_REG, OEN_SEL = 1 enables it from
 * GPIO_ENABLE_REG; GPIO_OUT_W1TS/W1TC (0x08/0x0C) and GPIO_ENABLE_W1TS
 * (0x24) set and clear single pins (TRM ch. 5 IO MUX and GPIO Matrix). */
#include "board_config.h"
#include "kws_board.h"
#include "soc_esp32c3.h"

#define IO_MUX_GPIO(n) (0x60009004u + 4u * (n))
#define IO_MUX_MCU_SEL_SHIFT 12u
#define IO_MUX_FUN_DRV_SHIFT 10u
#define GPIO_OUT_W1TS 0x08u
#define GPIO_OUT_W1TC 0x0Cu
#define GPIO_ENABLE_W1TS 0x24u
#define GPIO_FUNC_OUT_SEL_CFG(n) (0x554u + 4u * (n))
#define OUT_SEL_GPIO 128u
#define OEN_SEL (1u << 9)

/* Pulse widths in cycles: a 0 is high 0.35 us, a 1 0.7 us, every bit 1.25 us
 * (inside the WS2812B's and the SK68XX-MINI's tolerances); a 300 us low
 * latches the colour (newer parts need more than 280 us). */
#define CYCLES_PER_US (KWS_F_CPU / 1000000u)
#define T0H (CYCLES_PER_US * 35u / 100u)
#define T1H (CYCLES_PER_US * 70u / 100u)
#define TBIT (CYCLES_PER_US * 125u / 100u)
#define TLATCH (CYCLES_PER_US * 300u)
#define LEVEL 32u /* of 255: bright enough to see, not to dazzle */

static uint8_t s_grb[3];

void kws_leds_init(void)
{
    uint32_t gpio = kws_leds[0].gpio, pin = kws_leds[0].pin;
    esp_cycles_start();
    KWS_REG32(IO_MUX_GPIO(pin)) = (1u << IO_MUX_MCU_SEL_SHIFT) | (2u << IO_MUX_FUN_DRV_SHIFT);
    KWS_REG32(gpio + GPIO_FUNC_OUT_SEL_CFG(pin)) = OUT_SEL_GPIO | OEN_SEL;
    KWS_REG32(gpio + GPIO_OUT_W1TC) = 1u << pin;
    KWS_REG32(gpio + GPIO_ENABLE_W1TS) = 1u << pin;
}

__attribute__((section(".iram.ws2812"), noinline)) static void send(uint32_t gpio, uint32_t mask,
                                                                     const uint8_t *grb)
{
    unsigned byte, bit;
    uint32_t start, high;
    for (byte = 0; byte < 3u; byte++) {
        for (bit = 0; bit < 8u; bit++) {
            high = (grb[byte] & (0x80u >> bit)) ? T1H : T0H;
            start = esp_cycles();
            KWS_REG32(gpio + GPIO_OUT_W1TS) = mask;
            while (esp_cycles() - start < high) {
            }
            KWS_REG32(gpio + GPIO_OUT_W1TC) = mask;
            while (esp_cycles() - start < TBIT) {
            }
        }
    }
    start = esp_cycles();
    while (esp_cycles() - start < TLATCH) {
    }
}

void kws_leds_write(unsigned index, int on)
{
    uint8_t level = on ? (uint8_t)LEVEL : 0u;
    if (s_grb[kws_leds[index].channel] == level) {
        return;
    }
    s_grb[kws_leds[index].channel] = level;
    send(kws_leds[index].gpio, 1u << kws_leds[index].pin, s_grb);
}
