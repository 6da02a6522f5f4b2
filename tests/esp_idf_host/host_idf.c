/* The ESP-IDF functions the firmware calls, carried out on this machine: the
 * port (UART0 or USB Serial/JTAG) is stdin/stdout, time is CLOCK_MONOTONIC.
 * Each keeps the documented behaviour the HAL relies on: uart_read_bytes
 * returns when `length` bytes came or the wait ended, usb_serial_jtag_read_bytes
 * with what is there once anything is, writes take everything. The program
 * starts like ESP-IDF does, in app_main; the input's end stops it. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "driver/uart.h"
#include "driver/usb_serial_jtag.h"
#include "esp_cpu.h"
#include "esp_system.h"
#include "esp_timer.h"

void app_main(void);

static int s_uart, s_usb; /* which driver the firmware installed */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int read_some(void *buf, size_t length)
{
    ssize_t got;
    do {
        got = read(STDIN_FILENO, buf, length);
    } while (got < 0 && errno == EINTR);
    if (got <= 0) {
        exit(0); /* the host has gone: as a board being unplugged */
    }
    return (int)got;
}

static int write_all(const void *src, size_t size)
{
    const char *p = src;
    size_t left = size;
    while (left > 0) {
        ssize_t done = write(STDOUT_FILENO, p, left);
        if (done < 0 && errno == EINTR) {
            continue;
        }
        if (done <= 0) {
            exit(1);
        }
        p += done;
        left -= (size_t)done;
    }
    return (int)size;
}

esp_err_t uart_driver_install(uart_port_t uart_num, int rx_buffer_size, int tx_buffer_size,
                              int queue_size, QueueHandle_t *uart_queue, int intr_alloc_flags)
{
    (void)queue_size;
    (void)uart_queue;
    (void)intr_alloc_flags;
    if (uart_num != UART_NUM_0 || rx_buffer_size <= 128 || tx_buffer_size < 0) {
        return ESP_FAIL; /* ESP-IDF refuses an RX buffer not larger than the FIFO */
    }
    s_uart = 1;
    return ESP_OK;
}

esp_err_t uart_param_config(uart_port_t uart_num, const uart_config_t *config)
{
    if (!s_uart || uart_num != UART_NUM_0 || config->baud_rate <= 0 ||
        config->data_bits != UART_DATA_8_BITS || config->parity != UART_PARITY_DISABLE ||
        config->stop_bits != UART_STOP_BITS_1) {
        return ESP_FAIL;
    }
    return ESP_OK;
}

esp_err_t uart_get_buffered_data_len(uart_port_t uart_num, size_t *size)
{
    int waiting = 0;
    if (!s_uart || uart_num != UART_NUM_0 || ioctl(STDIN_FILENO, FIONREAD, &waiting) != 0) {
        return ESP_FAIL;
    }
    *size = (size_t)waiting;
    return ESP_OK;
}

int uart_read_bytes(uart_port_t uart_num, void *buf, uint32_t length, TickType_t ticks_to_wait)
{
    uint32_t got = 0;
    (void)ticks_to_wait; /* stdin blocks until data: as a wait that data ends */
    if (!s_uart || uart_num != UART_NUM_0) {
        return -1;
    }
    while (got < length) {
        got += (uint32_t)read_some((char *)buf + got, length - got);
    }
    return (int)got;
}

int uart_write_bytes(uart_port_t uart_num, const void *src, size_t size)
{
    if (!s_uart || uart_num != UART_NUM_0) {
        return -1;
    }
    return write_all(src, size);
}

esp_err_t usb_serial_jtag_driver_install(usb_serial_jtag_driver_config_t *config)
{
    if (config->tx_buffer_size == 0 || config->rx_buffer_size == 0) {
        return ESP_FAIL;
    }
    s_usb = 1;
    return ESP_OK;
}

int usb_serial_jtag_read_bytes(void *buf, uint32_t length, uint32_t ticks_to_wait)
{
    (void)ticks_to_wait;
    return s_usb ? read_some(buf, length) : 0;
}

int usb_serial_jtag_write_bytes(const void *src, size_t size, uint32_t ticks_to_wait)
{
    (void)ticks_to_wait;
    return s_usb ? write_all(src, size) : 0;
}

esp_cpu_cycle_count_t esp_cpu_get_cycle_count(void)
{
    return (esp_cpu_cycle_count_t)now_ns(); /* a 1 GHz "CPU" */
}

int64_t esp_timer_get_time(void)
{
    return (int64_t)(now_ns() / 1000u);
}

void esp_restart(void)
{
    exit(2);
}

int main(void)
{
    app_main();
    return 3; /* app_main returned: esp_restart should have ended the program */
}
