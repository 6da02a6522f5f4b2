/* Wire protocol v1: COBS framing, CRC-32, dispatch to the command table.
 * Receiving needs one buffer of the largest encoded frame; replies are
 * COBS-encoded on the fly through a 254-byte block, so no reply buffer. */
#include "kws_protocol.h"

#include <string.h>

#include "kws_hal.h"

#define FRAME_MAX (KWS_HEADER_BYTES + KWS_MAX_BODY + KWS_CRC_BYTES)
/* COBS adds one byte per 254 plus one. */
#define RX_CAP (FRAME_MAX + FRAME_MAX / 254u + 2u)

/* The frame starts 2 bytes into a word-aligned buffer so that the body
 * (after the 6-byte header) is 4-byte aligned for the handlers. */
static uint32_t s_rx_words[(RX_CAP + 2u + 3u) / 4u];
#define RX_BUF (((uint8_t *)s_rx_words) + 2)
static size_t s_rx_len;
static uint8_t s_rx_overflow;

/* ---- CRC-32 (IEEE 802.3, reflected, as zlib.crc32), a nibble at a time ---- */
static const uint32_t k_crc_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};

static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
    while (n--) {
        crc ^= *p++;
        crc = (crc >> 4) ^ k_crc_nibble[crc & 15u];
        crc = (crc >> 4) ^ k_crc_nibble[crc & 15u];
    }
    return crc;
}

/* ---- reply path: CRC and COBS computed while the bytes go out ---- */
static uint8_t s_block[255];
static uint8_t s_block_len;
static uint32_t s_tx_crc;
static size_t s_tx_left;

static void cobs_flush_group(void)
{
    s_block[0] = (uint8_t)(s_block_len + 1u);
    kws_uart_write(s_block, (size_t)s_block_len + 1u);
    s_block_len = 0;
}

static void cobs_put(uint8_t byte)
{
    if (byte == 0) {
        cobs_flush_group();
        return;
    }
    s_block[1u + s_block_len++] = byte;
    if (s_block_len == 254u) {
        cobs_flush_group(); /* code 0xFF: a full group, no implied zero */
    }
}

static void tx_bytes(const uint8_t *p, size_t n)
{
    s_tx_crc = crc_update(s_tx_crc, p, n);
    while (n--) {
        cobs_put(*p++);
    }
}

void kws_reply_begin(uint8_t type, uint16_t seq, uint16_t len)
{
    uint8_t header[KWS_HEADER_BYTES] = {
        (uint8_t)KWS_PROTOCOL_VERSION, type, (uint8_t)seq, (uint8_t)(seq >> 8),
        (uint8_t)len, (uint8_t)(len >> 8)};
    s_block_len = 0;
    s_tx_crc = 0xFFFFFFFFu;
    s_tx_left = len;
    tx_bytes(header, sizeof header);
}

void kws_reply_write(const void *data, size_t n)
{
    if (n > s_tx_left) {
        n = s_tx_left; /* a handler bug must not corrupt the framing */
    }
    s_tx_left -= n;
    tx_bytes((const uint8_t *)data, n);
}

void kws_reply_end(void)
{
    static const uint8_t zeros[16];
    uint32_t crc;
    uint8_t trailer[KWS_CRC_BYTES];
    uint8_t delimiter = 0;
    while (s_tx_left > 0) { /* pad a short reply so the length stays true */
        kws_reply_write(zeros, s_tx_left < sizeof zeros ? s_tx_left : sizeof zeros);
    }
    crc = ~s_tx_crc;
    trailer[0] = (uint8_t)crc;
    trailer[1] = (uint8_t)(crc >> 8);
    trailer[2] = (uint8_t)(crc >> 16);
    trailer[3] = (uint8_t)(crc >> 24);
    tx_bytes(trailer, sizeof trailer);
    cobs_flush_group();
    kws_uart_write(&delimiter, 1);
}

void kws_reply(const kws_request_t *req, const void *body, uint16_t len)
{
    kws_reply_begin((uint8_t)(req->type | KWS_REPLY), req->seq, len);
    kws_reply_write(body, len);
    kws_reply_end();
}

void kws_reply_error(uint16_t seq, uint8_t code, const char *message)
{
    size_t n = strlen(message);
    if (n > KWS_MAX_BODY - 1u) {
        n = KWS_MAX_BODY - 1u;
    }
    kws_reply_begin(KWS_ERROR, seq, (uint16_t)(n + 1u));
    kws_reply_write(&code, 1);
    kws_reply_write(message, n);
    kws_reply_end();
}

/* ---- receive path ---- */

/* Decodes in place (the output never overtakes the input); -1 if malformed. */
static long cobs_decode(uint8_t *buf, size_t n)
{
    size_t r = 0, w = 0;
    while (r < n) {
        size_t run = (size_t)buf[r++] - 1u;
        int full = (run == 254u);
        if (run > n - r) {
            return -1;
        }
        memmove(buf + w, buf + r, run);
        w += run;
        r += run;
        if (!full && r < n) {
            buf[w++] = 0;
        }
    }
    return (long)w;
}

static void dispatch(const kws_request_t *req)
{
    size_t i;
    for (i = 0; i < kws_command_count; i++) {
        if (kws_commands[i].type == req->type) {
            kws_commands[i].handler(req);
            return;
        }
    }
    kws_reply_error(req->seq, KWS_ERR_UNKNOWN, "unknown command");
}

static void handle_frame(uint8_t *frame, size_t encoded_len)
{
    kws_request_t req;
    long n = cobs_decode(frame, encoded_len);
    uint16_t seq;
    uint32_t crc;
    if (n < 0) {
        kws_reply_error(0, KWS_ERR_MALFORMED, "bad COBS encoding");
        return;
    }
    /* RX_CAP bounds the encoded frame, and COBS costs one byte per zero
     * less: a body of zeros could decode past the maximum. */
    if ((size_t)n > FRAME_MAX) {
        kws_reply_error(0, KWS_ERR_TOO_LONG, "frame longer than the maximum (" KWS_MAX_BODY_TEXT "-byte body)");
        return;
    }
    if ((size_t)n < KWS_HEADER_BYTES + KWS_CRC_BYTES) {
        kws_reply_error(0, KWS_ERR_MALFORMED, "frame shorter than header and CRC");
        return;
    }
    seq = kws_get_u16(frame + 2);
    crc = ~crc_update(0xFFFFFFFFu, frame, (size_t)n - KWS_CRC_BYTES);
    if (crc != kws_get_u32(frame + n - KWS_CRC_BYTES)) {
        kws_reply_error(seq, KWS_ERR_CRC, "CRC mismatch");
        return;
    }
    if (frame[0] != KWS_PROTOCOL_VERSION) {
        kws_reply_error(seq, KWS_ERR_VERSION,
                        "unsupported protocol version (this firmware speaks " KWS_PROTOCOL_VERSION_TEXT ")");
        return;
    }
    req.type = frame[1];
    req.seq = seq;
    req.len = kws_get_u16(frame + 4);
    req.body = frame + KWS_HEADER_BYTES;
    if ((size_t)req.len != (size_t)n - KWS_HEADER_BYTES - KWS_CRC_BYTES) {
        kws_reply_error(seq, KWS_ERR_MALFORMED, "length field does not match the frame");
        return;
    }
    if (req.type & KWS_REPLY) {
        kws_reply_error(seq, KWS_ERR_UNKNOWN, "replies are not commands");
        return;
    }
    dispatch(&req);
}

void kws_protocol_feed(uint8_t byte)
{
    if (byte != 0) {
        if (s_rx_len < RX_CAP) {
            RX_BUF[s_rx_len++] = byte;
        } else {
            s_rx_overflow = 1;
        }
        return;
    }
    if (s_rx_overflow) {
        kws_reply_error(0, KWS_ERR_TOO_LONG, "frame longer than the maximum (" KWS_MAX_BODY_TEXT "-byte body)");
    } else if (s_rx_len > 0) {
        handle_frame(RX_BUF, s_rx_len);
    }
    s_rx_len = 0;
    s_rx_overflow = 0;
}
