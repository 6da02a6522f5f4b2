/* Handlers' replies, checked on their way to kws_protocol.c (see fuzz_io.h).
 * Linked with -Wl,--wrap=kws_reply_begin,--wrap=kws_reply_write,
 * --wrap=kws_reply_end; kws_reply() and kws_reply_error() call the real
 * ones inside kws_protocol.c and are whole by construction. */
#include "fuzz_io.h"
#include "kws_protocol.h"

void __real_kws_reply_begin(uint8_t type, uint16_t seq, uint16_t len);
void __real_kws_reply_write(const void *data, size_t n);
void __real_kws_reply_end(void);
void __wrap_kws_reply_begin(uint8_t type, uint16_t seq, uint16_t len);
void __wrap_kws_reply_write(const void *data, size_t n);
void __wrap_kws_reply_end(void);

static int s_open;
static size_t s_announced, s_written;

int fuzz_reply_open(void) { return s_open; }

void __wrap_kws_reply_begin(uint8_t type, uint16_t seq, uint16_t len)
{
    FUZZ_CHECK(!s_open, "a reply begun inside another");
    FUZZ_CHECK(len <= KWS_MAX_BODY, "a reply of %u bytes announced", len);
    s_open = 1;
    s_announced = len;
    s_written = 0;
    __real_kws_reply_begin(type, seq, len);
}

void __wrap_kws_reply_write(const void *data, size_t n)
{
    FUZZ_CHECK(s_open, "reply bytes written outside a reply");
    FUZZ_CHECK(n <= s_announced - s_written, "a handler wrote %zu bytes more than the %zu it announced",
               s_written + n - s_announced, s_announced);
    s_written += n;
    __real_kws_reply_write(data, n);
}

void __wrap_kws_reply_end(void)
{
    FUZZ_CHECK(s_open, "a reply ended that was not begun");
    FUZZ_CHECK(s_written == s_announced, "a handler announced %zu bytes and wrote %zu",
               s_announced, s_written);
    s_open = 0;
    __real_kws_reply_end();
}
