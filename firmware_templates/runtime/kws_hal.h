/* Board support every target provides: device boards in hal/, the host in
 * hal/host.c. Register addresses and clock constants come from the board
 * file through the generated board_config.h. */
#ifndef KWS_HAL_H
#define KWS_HAL_H

#include <stdint.h>
#include <stddef.h>

void kws_board_init(void);                 /* clocks, caches, GPIO */
void kws_uart_init(void);
void kws_uart_write(const uint8_t *data, size_t n);
int kws_uart_getc(void);                   /* blocks; -1 when the input has ended (host) */

/* Free-running time base: DWT cycles where it counts, SysTick otherwise
 * (Cortex-M), mcycle or the ESP32-C3's mpccr (RISC-V), nanoseconds on the
 * host. kws_ticks_hz() says how fast it runs. */
void kws_ticks_init(void);
uint64_t kws_ticks_now(void);
uint32_t kws_ticks_hz(void);
const char *kws_ticks_kind(void);          /* "dwt", "systick", "mcycle", "mpccr", "host_ns" */

void kws_led_set(unsigned index, int on);  /* no-op where the board has none */
void kws_reset(void);

#endif
