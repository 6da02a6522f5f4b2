/* libFuzzer target: bytes on the wire into the whole host firmware, through
 * the frame decoder (kws_protocol_feed) to every command it answers.
 *
 * The input is a list of records, each starting with a kind byte:
 *   kind % 4 == 0  n u8, then n bytes put on the wire as they are (zeros
 *                  included): bad COBS, short frames, overflows, noise.
 *   kind % 4 == 1  type u8, seq u16, n u16, then n body bytes: a frame that
 *                  is well formed (header, CRC, COBS, delimiter) built here,
 *                  so the fuzzer reaches the commands without learning CRC-32.
 *   kind % 4 == 2  the same, with the CRC off by (kind >> 2) | 1.
 *   kind % 4 == 3  version u8, type u8, seq u16, length field u16 (true or
 *                  not), n u16, then n body bytes; the CRC is right.
 * n is taken modulo KWS_MAX_BODY + 65 (longer than the longest frame: TOO_LONG)
 * and cut to what the input has left.
 *
 * Promises checked: after every delimiter that ends a non-empty frame there
 * is exactly one reply frame, well formed (fuzz_io.c), whole, and nothing
 * else; a well-formed frame gets its own sequence number back and no framing
 * error; a frame with a bad CRC gets a CRC error; PING echoes its body. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_io.h"
#include "kws_protocol.h"

#define MAX_N (KWS_MAX_BODY + 64u)
#define RAW_MAX (KWS_HEADER_BYTES + MAX_N + KWS_CRC_BYTES)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t s_unended; /* non-zero bytes fed since the last delimiter */

/* One byte to the firmware; at a delimiter, the one-reply rule. */
static void feed(uint8_t byte)
{
    size_t before = fuzz_last_reply.frames;
    kws_protocol_feed(byte);
    if (byte != 0) {
        s_unended++;
        FUZZ_CHECK(fuzz_last_reply.frames == before, "a reply before the frame ended");
        return;
    }
    FUZZ_CHECK(fuzz_last_reply.frames == before + (s_unended > 0 ? 1u : 0u),
               "%zu replies to one %s frame", fuzz_last_reply.frames - before,
               s_unended > 0 ? "non-empty" : "empty");
    FUZZ_CHECK(fuzz_uart_pending() == 0 && !fuzz_reply_open(), "a reply left unfinished");
    s_unended = 0;
}

/* COBS-encodes raw[0..n) onto the wire, then the delimiter. */
static void send_cobs(const uint8_t *raw, size_t n)
{
    size_t i = 0;
    for (;;) {
        size_t run = 0;
        int full;
        while (i + run < n && raw[i + run] != 0 && run < 254u) {
            run++;
        }
        full = run == 254u; /* code 0xFF: no zero implied */
        feed((uint8_t)(run + 1u));
        while (run--) {
            feed(raw[i++]);
        }
        if (i == n) {
            break;
        }
        if (!full) {
            i++; /* the zero the group's code stands for */
        }
    }
    feed(0);
}

static uint16_t get_u16(const uint8_t **p, size_t *left)
{
    uint16_t v = 0;
    if (*left >= 2u) {
        v = (uint16_t)((*p)[0] | (*p)[1] << 8);
        *p += 2;
        *left -= 2;
    } else if (*left == 1u) {
        v = (*p)[0];
        *p += 1;
        *left = 0;
    }
    return v;
}

static uint8_t get_u8(const uint8_t **p, size_t *left)
{
    uint8_t v = 0;
    if (*left > 0u) {
        v = **p;
        *p += 1;
        *left -= 1;
    }
    return v;
}

static int known_command(uint8_t type)
{
    size_t i;
    for (i = 0; i < kws_command_count; i++) {
        if (kws_commands[i].type == type) {
            return 1;
        }
    }
    return 0;
}

static void check_reply(uint8_t kind, uint8_t version, uint8_t type, uint16_t seq, uint16_t field,
                        const uint8_t *body, size_t n)
{
    const fuzz_reply_t *r = &fuzz_last_reply;
    uint8_t code = r->type == KWS_ERROR ? r->body[0] : 0;
    int well_formed = version == KWS_PROTOCOL_VERSION && field == n && n <= KWS_MAX_BODY;
    if (n > KWS_MAX_BODY) {
        FUZZ_CHECK(r->type == KWS_ERROR && code == KWS_ERR_TOO_LONG,
                   "a %zu-byte body was not refused as too long", n);
        return;
    }
    if (kind == 2) {
        FUZZ_CHECK(r->type == KWS_ERROR && code == KWS_ERR_CRC && r->seq == seq,
                   "a frame with a bad CRC got type 0x%02x (code %u)", r->type, code);
        return;
    }
    FUZZ_CHECK(r->seq == seq, "reply seq %u to request seq %u", r->seq, seq);
    if (!well_formed) {
        FUZZ_CHECK(r->type == KWS_ERROR && (code == KWS_ERR_VERSION || code == KWS_ERR_MALFORMED),
                   "a frame of version %u, length field %u and %zu body bytes got type 0x%02x "
                   "(code %u)", version, field, n, r->type, code);
        return;
    }
    if ((type & KWS_REPLY) || !known_command(type)) {
        FUZZ_CHECK(r->type == KWS_ERROR && code == KWS_ERR_UNKNOWN,
                   "type 0x%02x got type 0x%02x (code %u)", type, r->type, code);
        return;
    }
    FUZZ_CHECK(r->type == (uint8_t)(type | KWS_REPLY) ||
                   (r->type == KWS_ERROR && (code == KWS_ERR_ARGUMENT || code == KWS_ERR_STATE)),
               "command 0x%02x got type 0x%02x (code %u)", type, r->type, code);
    if (type == KWS_CMD_PING) {
        FUZZ_CHECK(r->type == (KWS_CMD_PING | KWS_REPLY) && r->len == n &&
                       memcmp(r->body, body, n) == 0,
                   "PING did not echo its %zu bytes", n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t raw[RAW_MAX];
    const uint8_t *p = data;
    size_t left = size;
    fuzz_uart_reset(FUZZ_UART_FRAMES);
    fuzz_model_reset(0);
    fuzz_reset_firmware();
    s_unended = 0;
    while (left > 0) {
        uint8_t kind = get_u8(&p, &left);
        if (kind % 4u == 0) {
            size_t n = get_u8(&p, &left);
            if (n > left) {
                n = left;
            }
            while (n--) {
                feed(get_u8(&p, &left));
            }
        } else {
            uint8_t version = KWS_PROTOCOL_VERSION, type;
            uint16_t seq, field = 0;
            size_t n, crc_at;
            uint32_t crc;
            size_t before;
            if (kind % 4u == 3) {
                version = get_u8(&p, &left);
            }
            type = get_u8(&p, &left);
            seq = get_u16(&p, &left);
            if (kind % 4u == 3) {
                field = get_u16(&p, &left);
            }
            n = get_u16(&p, &left) % (MAX_N + 1u);
            if (n > left) {
                n = left;
            }
            if (kind % 4u != 3) {
                field = (uint16_t)n;
            }
            raw[0] = version;
            raw[1] = type;
            raw[2] = (uint8_t)seq;
            raw[3] = (uint8_t)(seq >> 8);
            raw[4] = (uint8_t)field;
            raw[5] = (uint8_t)(field >> 8);
            memcpy(raw + KWS_HEADER_BYTES, p, n);
            p += n;
            left -= n;
            crc_at = KWS_HEADER_BYTES + n;
            crc = fuzz_crc32(raw, crc_at) ^ (kind % 4u == 2 ? ((uint32_t)kind >> 2) | 1u : 0u);
            raw[crc_at] = (uint8_t)crc;
            raw[crc_at + 1] = (uint8_t)(crc >> 8);
            raw[crc_at + 2] = (uint8_t)(crc >> 16);
            raw[crc_at + 3] = (uint8_t)(crc >> 24);
            if (s_unended > 0) {
                feed(0); /* the raw bytes before end as a frame of their own */
            }
            before = fuzz_last_reply.frames;
            send_cobs(raw, crc_at + KWS_CRC_BYTES);
            FUZZ_CHECK(fuzz_last_reply.frames == before + 1u, "no reply to a frame");
            check_reply((uint8_t)(kind % 4u), version, type, seq, field, raw + KWS_HEADER_BYTES, n);
        }
    }
    if (s_unended > 0) {
        feed(0); /* the next input starts between frames */
    }
    return 0;
}
