/* Wire protocol v1: framing, replies and the command table (see docs/protocol.md).
 *
 * A frame on the wire is COBS(header | body | crc32) followed by one 0x00 byte.
 * header = version u8, type u8, seq u16 LE, len u16 LE; crc32 (IEEE, as zlib)
 * covers header and body, little endian. Commands live in a table the
 * generator renders, so a feature adds a command by adding a handler. */
#ifndef KWS_PROTOCOL_H
#define KWS_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

/* Version, maximum body, frame types, error codes and flag bits: rendered by
 * gen-firmware from generator/protocol.py, where the host reads them too. */
#include "kws_contract.h"

typedef struct {
    uint8_t type;
    uint16_t seq;
    uint16_t len;
    const uint8_t *body; /* valid only during the handler call */
} kws_request_t;

typedef void (*kws_handler_fn)(const kws_request_t *req);

typedef struct {
    uint8_t type;
    kws_handler_fn handler;
} kws_command_t;

/* Rendered by the generator: the commands this firmware answers. */
extern const kws_command_t kws_commands[];
extern const size_t kws_command_count;

/* Replies stream straight to the UART: begin with the exact body length,
 * write exactly that many bytes in any number of calls, then end.
 * No body buffer is needed, whatever the reply size (up to KWS_MAX_BODY). */
void kws_reply_begin(uint8_t type, uint16_t seq, uint16_t len);
void kws_reply_write(const void *data, size_t n);
void kws_reply_end(void);
/* Whole reply to req in one call: type is req->type | KWS_REPLY. */
void kws_reply(const kws_request_t *req, const void *body, uint16_t len);
void kws_reply_error(uint16_t seq, uint8_t code, const char *message);

/* Feed one received byte; dispatches a command when a frame completes. */
void kws_protocol_feed(uint8_t byte);

/* Little-endian helpers for handlers parsing bodies. */
static inline uint16_t kws_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t kws_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

#endif
