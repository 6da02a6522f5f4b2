/* Test stand-in for ESP-IDF's esp_err.h (components/esp_common). */
#ifndef ESP_ERR_H
#define ESP_ERR_H
#include <stdlib.h>
typedef int esp_err_t;
#define ESP_OK 0
#define ESP_FAIL -1
#define ESP_ERROR_CHECK(x) do { esp_err_t err_rc_ = (x); if (err_rc_ != ESP_OK) abort(); } while (0)
#endif
