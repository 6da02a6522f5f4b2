/* Test stand-in for ESP-IDF's esp_cpu.h (components/esp_hw_support). */
#ifndef ESP_CPU_H
#define ESP_CPU_H
#include <stdint.h>
typedef uint32_t esp_cpu_cycle_count_t;
esp_cpu_cycle_count_t esp_cpu_get_cycle_count(void);
#endif
