/* STM32 GPIO (the F4/F7 register layout): alternate functions and outputs. */
#include "kws_board.h"

#define GPIO_MODER(base) KWS_REG32((base) + 0x00u)
#define GPIO_OSPEEDR(base) KWS_REG32((base) + 0x08u)
#define GPIO_BSRR(base) KWS_REG32((base) + 0x18u)
#define GPIO_AFR(base, pin) KWS_REG32((base) + 0x20u + 4u * ((pin) >> 3))

static void set_mode(uint32_t base, unsigned pin, uint32_t mode)
{
    GPIO_MODER(base) = (GPIO_MODER(base) & ~(3u << (2u * pin))) | (mode << (2u * pin));
}

void kws_gpio_af(const kws_af_pin_t *p)
{
    unsigned shift = 4u * (p->pin & 7u);
    GPIO_AFR(p->gpio, p->pin) = (GPIO_AFR(p->gpio, p->pin) & ~(15u << shift)) | ((uint32_t)p->af << shift);
    GPIO_OSPEEDR(p->gpio) |= 3u << (2u * p->pin);
    set_mode(p->gpio, p->pin, 2u);
}

void kws_gpio_output(const kws_led_t *led)
{
    set_mode(led->gpio, led->pin, 1u);
    kws_gpio_write(led, 0);
}

void kws_gpio_write(const kws_led_t *led, int on)
{
    GPIO_BSRR(led->gpio) = on ? (1u << led->pin) : (1u << (led->pin + 16u));
}
