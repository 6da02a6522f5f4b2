/* Types of the board tables the generator renders into board_tables.c. */
#ifndef KWS_BOARD_H
#define KWS_BOARD_H

#include <stddef.h>
#include <stdint.h>

#define KWS_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

typedef struct {
    uint32_t reg; /* clock-enable register */
    uint32_t bit;
} kws_reg_bit_t;

typedef struct {
    uint32_t gpio; /* GPIO port base address */
    uint8_t pin;
    uint8_t af;    /* alternate function number */
} kws_af_pin_t;

typedef struct {
    uint32_t gpio;
    uint8_t pin;
    uint8_t channel; /* colour of an addressable RGB LED (0 green, 1 red, 2 blue) */
} kws_led_t;

extern const kws_reg_bit_t kws_enable_bits[];
extern const kws_af_pin_t kws_af_pins[];
extern const kws_led_t kws_leds[];

void kws_clock_init(void);                          /* clock_<driver>.c */
void kws_watchdogs_disable(void);                   /* wdt_<driver>.c */
void kws_gpio_af(const kws_af_pin_t *pin);          /* gpio_stm32.c */
void kws_gpio_output(const kws_led_t *led);
void kws_gpio_write(const kws_led_t *led, int on);
void kws_leds_init(void);                           /* led_<driver>.c (RISC-V boards) */
void kws_leds_write(unsigned index, int on);

/* A free-running 32-bit cycle counter read as 64 bits: each read counts the
 * wraps since the previous one, so reads must come at least once a wrap. */
typedef struct {
    uint32_t last;
    uint32_t wraps;
} kws_counter32_t;

static inline uint64_t kws_counter32_extend(kws_counter32_t *counter, uint32_t now)
{
    if (now < counter->last) {
        counter->wraps++;
    }
    counter->last = now;
    return ((uint64_t)counter->wraps << 32) | now;
}

/* The counter's rate from `cycles` counted in `us` microseconds of a
 * reference clock, to the nearest MHz. */
static inline uint32_t kws_counter32_hz(uint32_t cycles, uint32_t us)
{
    return (cycles + us / 2u) / us * 1000000u;
}

#endif
