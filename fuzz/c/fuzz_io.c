/* The fuzz targets' HAL (instead of hal/host.c) and the checks of the
 * firmware's output; see fuzz_io.h. */
#include "fuzz_io.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kws_contract.h"
#include "kws_hal.h"

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
    va_list args;
    fprintf(stderr, "\n==fuzz== broken promise at %s:%d: ", file, line);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
    abort();
}

/* ---- CRC-32 (IEEE, reflected, as zlib), bit by bit: deliberately not the
 * firmware's table, so that the two check each other. */
uint32_t fuzz_crc32(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    while (n--) {
        int k;
        crc ^= *p++;
        for (k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

/* ---- binary replies ---- */

#define FRAME_MAX (KWS_HEADER_BYTES + KWS_MAX_BODY + KWS_CRC_BYTES)
/* COBS adds one byte per 254 and one at the start; the firmware may end
 * with an empty group: one more. */
#define ENCODED_MAX (FRAME_MAX + FRAME_MAX / 254u + 2u)

fuzz_reply_t fuzz_last_reply;
static int s_mode;
static uint8_t s_encoded[ENCODED_MAX];
static size_t s_encoded_len;
static char s_line[FUZZ_TEXT_LINE_MAX + 1u];
static size_t s_line_len;
static size_t s_ready_lines;

void fuzz_uart_reset(int mode)
{
    s_mode = mode;
    s_encoded_len = 0;
    s_line_len = 0;
    s_ready_lines = 0;
    memset(&fuzz_last_reply, 0, sizeof fuzz_last_reply);
}

size_t fuzz_uart_pending(void) { return s_mode == FUZZ_UART_FRAMES ? s_encoded_len : s_line_len; }
size_t fuzz_text_ready_lines(void) { return s_ready_lines; }

static void check_frame(void)
{
    uint8_t raw[FRAME_MAX];
    size_t r = 0, w = 0, n;
    uint32_t crc;
    uint16_t len;
    FUZZ_CHECK(s_encoded_len > 0, "an empty frame (two delimiters in a row) in the output");
    while (r < s_encoded_len) {
        size_t code = s_encoded[r++], run = code - 1u;
        FUZZ_CHECK(run <= s_encoded_len - r, "COBS group of %zu bytes runs past the frame's end", run);
        FUZZ_CHECK(w + run <= sizeof raw, "reply frame longer than %zu bytes", sizeof raw);
        memcpy(raw + w, s_encoded + r, run);
        w += run;
        r += run;
        if (code != 0xFFu && r < s_encoded_len) {
            FUZZ_CHECK(w < sizeof raw, "reply frame longer than %zu bytes", sizeof raw);
            raw[w++] = 0;
        }
    }
    n = w;
    FUZZ_CHECK(n >= KWS_HEADER_BYTES + KWS_CRC_BYTES, "reply frame of %zu bytes", n);
    crc = (uint32_t)raw[n - 4] | (uint32_t)raw[n - 3] << 8 | (uint32_t)raw[n - 2] << 16 |
          (uint32_t)raw[n - 1] << 24;
    FUZZ_CHECK(crc == fuzz_crc32(raw, n - KWS_CRC_BYTES), "reply frame with a wrong CRC");
    FUZZ_CHECK(raw[0] == KWS_PROTOCOL_VERSION, "reply frame of version %u", raw[0]);
    len = (uint16_t)(raw[4] | raw[5] << 8);
    FUZZ_CHECK(len == n - KWS_HEADER_BYTES - KWS_CRC_BYTES && len <= KWS_MAX_BODY,
               "reply length field %u, but the frame has %zu body bytes", len,
               n - KWS_HEADER_BYTES - KWS_CRC_BYTES);
    fuzz_last_reply.type = raw[1];
    fuzz_last_reply.seq = (uint16_t)(raw[2] | raw[3] << 8);
    fuzz_last_reply.len = len;
    memcpy(fuzz_last_reply.body, raw + KWS_HEADER_BYTES, len);
    if (raw[1] == KWS_ERROR) {
        FUZZ_CHECK(len >= 2 && raw[KWS_HEADER_BYTES] >= KWS_ERR_CRC &&
                   raw[KWS_HEADER_BYTES] <= KWS_ERR_STATE,
                   "ERROR frame without a known code and a message (code %u, %u bytes)",
                   len ? raw[KWS_HEADER_BYTES] : 0u, len);
    } else {
        FUZZ_CHECK(raw[1] & KWS_REPLY, "unprompted frame of type 0x%02x", raw[1]);
    }
    fuzz_last_reply.frames++;
}

static void text_byte(uint8_t c)
{
    if (c == '\n') {
        FUZZ_CHECK(s_line_len > 0 && s_line[s_line_len - 1u] == '\r', "a line not ended by CR LF");
        s_line[s_line_len - 1u] = '\0';
        if (strcmp(s_line, "m-ready") == 0) {
            s_ready_lines++;
        }
        s_line_len = 0;
        return;
    }
    FUZZ_CHECK(c == '\r' || (c >= 0x20u && c < 0x7Fu), "byte 0x%02x in a text line", c);
    FUZZ_CHECK(s_line_len < FUZZ_TEXT_LINE_MAX, "a line longer than %u characters", FUZZ_TEXT_LINE_MAX);
    s_line[s_line_len++] = (char)c;
}

void kws_uart_write(const uint8_t *data, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (s_mode == FUZZ_UART_TEXT) {
            text_byte(data[i]);
        } else if (data[i] == 0) {
            check_frame();
            s_encoded_len = 0;
        } else {
            FUZZ_CHECK(s_encoded_len < sizeof s_encoded, "reply frame longer than %zu encoded bytes",
                       sizeof s_encoded);
            s_encoded[s_encoded_len++] = data[i];
        }
    }
}

/* ---- input and the rest of the HAL ---- */

static const uint8_t *s_input;
static size_t s_input_left;

void fuzz_uart_input(const uint8_t *data, size_t size)
{
    s_input = data;
    s_input_left = size;
}

int kws_uart_getc(void)
{
    if (s_input_left == 0) {
        return -1;
    }
    s_input_left--;
    return *s_input++;
}

void kws_board_init(void) {}
void kws_uart_init(void) {}
void kws_ticks_init(void) {}

/* A clock that advances by a fixed step per reading: the same input gives
 * the same output, which libFuzzer needs to reproduce a crash. */
uint64_t kws_ticks_now(void)
{
    static uint64_t now;
    return now += 1000u;
}

uint32_t kws_ticks_hz(void) { return 1000000000u; }
const char *kws_ticks_kind(void) { return "host_ns"; }
void kws_led_set(unsigned index, int on) { (void)index; (void)on; }
void kws_reset(void) { FUZZ_CHECK(0, "the firmware asked for a reset"); }
