/* Board support for the ESP-IDF boards (ESP32-S3): ESP-IDF owns startup,
 * clocks, caches and watchdogs; this file maps kws_hal.h onto its public
 * drivers. Every ESP-IDF call of the firmware is here, so the rest of the
 * project is the same portable C as on every other board.
 *
 * The protocol runs on the port the board file names (board_config.h):
 * UART0 through ESP-IDF's uart driver (the DevKitC's USB-UART bridge), or
 * the chip's USB Serial/JTAG port (the EYE has no bridge). Set the console to
 * none (sdkconfig.defaults) so that no log text lands in the frames. */
#include <stddef.h>
#include <stdint.h>

#include "board_config.h"
#include "esp_cpu.h"
#include "esp_err.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "kws_board.h"
#include "kws_hal.h"
#if KWS_ESP_IDF_USB_SERIAL_JTAG
#include "driver/usb_serial_jtag.h"
#else
#include "driver/uart.h"
#endif

#define RX_BUFFER_BYTES 8192 /* more than one maximal frame, whatever the task does */
#define TX_BUFFER_BYTES 4096
#define CALIBRATION_US 10000
/* Wake at least this often while waiting for input, to count the cycle
 * counter's wraps (32 bits: 17.9 s at 240 MHz). */
#define WAIT_TICKS pdMS_TO_TICKS(1000)

int main(void); /* runtime/main.c: the firmware's loop */
void app_main(void);

/* ESP-IDF starts app_main in its main task (pinned to core 0 by default, so
 * the cycle counter read below is always the same core's). */
void app_main(void)
{
    (void)main();
    esp_restart();
}

void kws_board_init(void) {}

void kws_uart_init(void)
{
#if KWS_ESP_IDF_USB_SERIAL_JTAG
    usb_serial_jtag_driver_config_t config = {
        .tx_buffer_size = TX_BUFFER_BYTES,
        .rx_buffer_size = RX_BUFFER_BYTES,
    };
    ESP_ERROR_CHECK(usb_serial_jtag_driver_install(&config));
#else
    const uart_config_t config = {
        .baud_rate = (int)KWS_UART_BAUD,
        .data_bits = UART_DATA_8_BITS,
        .parity = UART_PARITY_DISABLE,
        .stop_bits = UART_STOP_BITS_1,
        .flow_ctrl = UART_HW_FLOWCTRL_DISABLE,
        .source_clk = UART_SCLK_DEFAULT,
    };
    ESP_ERROR_CHECK(uart_driver_install(UART_NUM_0, RX_BUFFER_BYTES, TX_BUFFER_BYTES, 0, NULL, 0));
    ESP_ERROR_CHECK(uart_param_config(UART_NUM_0, &config));
#endif
}

void kws_uart_write(const uint8_t *data, size_t n)
{
    while (n > 0) {
#if KWS_ESP_IDF_USB_SERIAL_JTAG
        int done = usb_serial_jtag_write_bytes(data, n, portMAX_DELAY);
#else
        int done = uart_write_bytes(UART_NUM_0, data, n);
#endif
        if (done <= 0) {
            continue; /* nothing taken yet (USB host not reading): try again */
        }
        data += done;
        n -= (size_t)done;
    }
}

/* Bytes come in as they arrived: take what the driver holds, or wait for one. */
int kws_uart_getc(void)
{
    static uint8_t buffer[256];
    static int filled, next;
    while (next == filled) {
        next = 0;
        (void)kws_ticks_now();
#if KWS_ESP_IDF_USB_SERIAL_JTAG
        filled = usb_serial_jtag_read_bytes(buffer, sizeof buffer, WAIT_TICKS);
#else
        size_t waiting = 0;
        (void)uart_get_buffered_data_len(UART_NUM_0, &waiting);
        if (waiting > sizeof buffer) {
            waiting = sizeof buffer;
        }
        filled = uart_read_bytes(UART_NUM_0, buffer, waiting ? (uint32_t)waiting : 1u,
                                 WAIT_TICKS);
#endif
        if (filled < 0) {
            filled = 0;
        }
    }
    return buffer[next++];
}

/* Time base: the CPU's cycle counter (CCOUNT), extended to 64 bits on every
 * read; its rate measured against esp_timer (microseconds) at start. */
static uint32_t s_hz = KWS_F_CPU;
static kws_counter32_t s_count;

void kws_ticks_init(void)
{
    int64_t t0 = esp_timer_get_time();
    uint32_t c0 = (uint32_t)esp_cpu_get_cycle_count(), c1;
    while (esp_timer_get_time() - t0 < CALIBRATION_US) {
    }
    c1 = (uint32_t)esp_cpu_get_cycle_count();
    s_hz = kws_counter32_hz(c1 - c0, CALIBRATION_US);
    s_count.last = (uint32_t)esp_cpu_get_cycle_count();
}

uint64_t kws_ticks_now(void)
{
    return kws_counter32_extend(&s_count, (uint32_t)esp_cpu_get_cycle_count());
}

uint32_t kws_ticks_hz(void)
{
    return s_hz;
}

const char *kws_ticks_kind(void)
{
    return "ccount";
}

void kws_led_set(unsigned index, int on)
{
    (void)index; /* the board file lists no LEDs for ESP-IDF boards */
    (void)on;
}

void kws_reset(void)
{
    esp_restart();
}
