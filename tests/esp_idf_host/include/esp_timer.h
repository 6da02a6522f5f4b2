/* Test stand-in for ESP-IDF's esp_timer.h (components/esp_timer). */
#ifndef ESP_TIMER_H
#define ESP_TIMER_H
#include <stdint.h>
int64_t esp_timer_get_time(void);
#endif
