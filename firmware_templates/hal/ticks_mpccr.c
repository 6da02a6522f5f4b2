/* Time base of the ESP32-C3: its CPU cycle counter mpccr (the core has no
 * mcycle; TRM ch. 1 ESP-RISC-V CPU, "Performance Counter"). The count is 32
 * bits, which wrap every 26.8 s at 160 MHz: each read extends it to 64 bits,
 * and the UART driver reads it while it waits for input, so no wrap passes
 * unseen unless one command computes for longer than that.
 *
 * The rate is measured once against the system timer (16 MHz from the
 * crystal) and reported as it is: INFO's ticks_hz says what the clock
 * driver achieved, not what the board file asked for. */
#include "board_config.h"
#include "kws_board.h"
#include "kws_hal.h"
#include "soc_esp32c3.h"

#define CALIBRATION_US 2000u

static uint32_t s_hz = KWS_F_CPU;
static kws_counter32_t s_count;

void kws_ticks_init(void)
{
    uint32_t t0, c0, c1;
    esp_cycles_start();
    esp_systimer_start();
    t0 = esp_systimer_now();
    c0 = esp_cycles();
    while (esp_systimer_now() - t0 < CALIBRATION_US * (ESP_SYSTIMER_HZ / 1000000u)) {
    }
    c1 = esp_cycles();
    s_hz = kws_counter32_hz(c1 - c0, CALIBRATION_US);
    s_count.last = esp_cycles();
    s_count.wraps = 0;
}

uint64_t kws_ticks_now(void)
{
    return kws_counter32_extend(&s_count, esp_cycles());
}

uint32_t kws_ticks_hz(void)
{
    return s_hz;
}

const char *kws_ticks_kind(void)
{
    return "mpccr";
}
