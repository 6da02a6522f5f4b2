/* Test stand-in for ESP-IDF's esp_system.h (components/esp_system). */
#ifndef ESP_SYSTEM_H
#define ESP_SYSTEM_H
void esp_restart(void) __attribute__((__noreturn__));
#endif
