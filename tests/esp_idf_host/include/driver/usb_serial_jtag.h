/* Test stand-in for ESP-IDF 5.x's driver/usb_serial_jtag.h
 * (components/esp_driver_usb_serial_jtag; the `driver` component before 5.3). */
#ifndef DRIVER_USB_SERIAL_JTAG_H
#define DRIVER_USB_SERIAL_JTAG_H
#include <stddef.h>
#include <stdint.h>
#include "esp_err.h"
typedef struct {
    uint32_t tx_buffer_size;
    uint32_t rx_buffer_size;
} usb_serial_jtag_driver_config_t;
esp_err_t usb_serial_jtag_driver_install(usb_serial_jtag_driver_config_t *usb_serial_jtag_config);
int usb_serial_jtag_read_bytes(void *buf, uint32_t length, uint32_t ticks_to_wait);
int usb_serial_jtag_write_bytes(const void *src, size_t size, uint32_t ticks_to_wait);
#endif
