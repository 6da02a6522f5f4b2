/* PING and INFO: the commands every firmware answers. */
#include <string.h>

#include "kws_hal.h"
#include "kws_info.h"
#include "kws_protocol.h"

void kws_cmd_ping(const kws_request_t *req)
{
    kws_reply(req, req->body, req->len); /* echo: proves both directions */
}

static size_t put_u32(char *out, uint32_t value)
{
    char digits[10];
    size_t n = 0, i;
    do {
        digits[n++] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value);
    for (i = 0; i < n; i++) {
        out[i] = digits[n - 1u - i];
    }
    return n;
}

static size_t put_str(char *out, const char *s)
{
    size_t n = strlen(s);
    memcpy(out, s, n);
    return n;
}

/* INFO = the JSON object the generator rendered (without its closing brace)
 * plus what only the running firmware knows: which time base counts. */
void kws_cmd_info(const kws_request_t *req)
{
    char tail[80];
    size_t n = 0;
    size_t head = strlen(kws_info_json_head);
    n += put_str(tail + n, ",\"ticks\":\"");
    n += put_str(tail + n, kws_ticks_kind());
    n += put_str(tail + n, "\",\"ticks_hz\":");
    n += put_u32(tail + n, kws_ticks_hz());
    tail[n++] = '}';
    kws_reply_begin((uint8_t)(req->type | KWS_REPLY), req->seq, (uint16_t)(head + n));
    kws_reply_write(kws_info_json_head, head);
    kws_reply_write(tail, n);
    kws_reply_end();
}
