/* libFuzzer target: command bodies straight into the handlers of the
 * rendered command table (commands.c), past the frame decoder, so that every
 * input is a body and the fuzzer spends its time on the body parsers.
 *
 * Built once per command (-DFUZZ_COMMAND=KWS_CMD_<NAME>) and once for all of
 * them (no FUZZ_COMMAND: each record starts with an index into the table, so
 * commands meet each other's state: CLASSIFY and STREAM share the pipeline).
 * The input is a list of records: [index u8,] n u16 LE, then n body bytes;
 * n is taken modulo KWS_MAX_BODY + 1 and cut to what the input has left.
 * Each body is copied into a buffer of exactly n bytes, so that reading one
 * byte past it is an ASan report.
 *
 * Promises checked: each request gets exactly one reply frame, well formed
 * (fuzz_io.c), whole and written exactly as announced (fuzz_replies.c), with
 * the request's sequence number, of the command's reply type or an ERROR of
 * code ARGUMENT or STATE; PING echoes its body. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_io.h"
#include "kws_protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const kws_command_t *pick(const uint8_t **p, size_t *left)
{
#ifdef FUZZ_COMMAND
    static const kws_command_t *command;
    size_t i;
    (void)p;
    (void)left;
    if (command == NULL) {
        for (i = 0; i < kws_command_count; i++) {
            if (kws_commands[i].type == FUZZ_COMMAND) {
                command = &kws_commands[i];
            }
        }
        FUZZ_CHECK(command != NULL, "the firmware has no command 0x%02x", FUZZ_COMMAND);
    }
    return command;
#else
    uint8_t index = **p;
    *p += 1;
    *left -= 1;
    return &kws_commands[index % kws_command_count];
#endif
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data;
    size_t left = size;
    uint16_t seq = 0;
    fuzz_uart_reset(FUZZ_UART_FRAMES);
    fuzz_model_reset(0);
    fuzz_reset_firmware();
    while (left > 0) {
        const kws_command_t *command = pick(&p, &left);
        kws_request_t req;
        uint8_t *body;
        size_t n = 0, before = fuzz_last_reply.frames;
        uint8_t code;
        if (left >= 2u) {
            n = (size_t)(p[0] | p[1] << 8) % (KWS_MAX_BODY + 1u);
            p += 2;
            left -= 2;
        } else {
            p += left;
            left = 0;
        }
        if (n > left) {
            n = left;
        }
        body = (uint8_t *)malloc(n ? n : 1u);
        FUZZ_CHECK(body != NULL, "out of memory");
        memcpy(body, p, n);
        p += n;
        left -= n;
        req.type = command->type;
        req.seq = ++seq;
        req.len = (uint16_t)n;
        req.body = body;
        command->handler(&req);
        FUZZ_CHECK(fuzz_last_reply.frames == before + 1u, "%zu replies to command 0x%02x",
                   fuzz_last_reply.frames - before, req.type);
        FUZZ_CHECK(fuzz_uart_pending() == 0 && !fuzz_reply_open(), "a reply left unfinished");
        FUZZ_CHECK(fuzz_last_reply.seq == req.seq, "reply seq %u to request seq %u",
                   fuzz_last_reply.seq, req.seq);
        code = fuzz_last_reply.type == KWS_ERROR ? fuzz_last_reply.body[0] : 0;
        FUZZ_CHECK(fuzz_last_reply.type == (uint8_t)(req.type | KWS_REPLY) ||
                       (fuzz_last_reply.type == KWS_ERROR &&
                        (code == KWS_ERR_ARGUMENT || code == KWS_ERR_STATE)),
                   "command 0x%02x got type 0x%02x (code %u)", req.type, fuzz_last_reply.type, code);
        if (req.type == KWS_CMD_PING) {
            FUZZ_CHECK(fuzz_last_reply.len == n && memcmp(fuzz_last_reply.body, body, n) == 0,
                       "PING did not echo its %zu bytes", n);
        }
        free(body);
    }
    return 0;
}
