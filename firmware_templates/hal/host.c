/* The host board: the same firmware as a process speaking the protocol on
 * stdin/stdout, for tests and for training-time features. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "kws_hal.h"

void kws_board_init(void) {}
void kws_uart_init(void) {}

void kws_uart_write(const uint8_t *data, size_t n)
{
    while (n > 0) {
        ssize_t done = write(STDOUT_FILENO, data, n);
        if (done < 0 && errno == EINTR) {
            continue;
        }
        if (done <= 0) {
            exit(1); /* the reader has gone */
        }
        data += done;
        n -= (size_t)done;
    }
}

int kws_uart_getc(void)
{
    static uint8_t buffer[4096];
    static ssize_t filled, next;
    if (next == filled) {
        do {
            filled = read(STDIN_FILENO, buffer, sizeof buffer);
        } while (filled < 0 && errno == EINTR);
        next = 0;
        if (filled <= 0) {
            filled = 0;
            return -1;
        }
    }
    return buffer[next++];
}

void kws_ticks_init(void) {}

uint64_t kws_ticks_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint32_t kws_ticks_hz(void) { return 1000000000u; }
const char *kws_ticks_kind(void) { return "host_ns"; }
void kws_led_set(unsigned index, int on) { (void)index; (void)on; }
void kws_reset(void) { exit(2); }
