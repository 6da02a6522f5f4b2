/* VALIDATE (0x20): run the model on one input tensor sent by the host.
 * TENSOR (0x21): the model's input and output in parts, for tensors larger
 * than one frame.
 *
 * VALIDATE request body: the raw input tensor, exactly KWS_MODEL_INPUT_BYTES
 * bytes (int8 values, or little-endian float32 for a float-input model); or
 * empty: run on the input as TENSOR wrote it. Reply body: the elapsed ticks
 * of the inference (u64, little endian, from kws_ticks_now() taken right
 * before and after kws_model_invoke), followed by the raw output tensor
 * (KWS_MODEL_OUTPUT_BYTES bytes) when it fits in the frame; otherwise the
 * ticks alone, and TENSOR reads the output.
 *
 * TENSOR request body: op u8, offset u32 LE, then
 *   op 0 (write input): the bytes to write at that offset of the input;
 *   op 1 (read output): length u16 LE; the reply is those output bytes.
 * An inference may use the input's bytes as scratch, so the host writes the
 * whole input again before each VALIDATE.
 *
 * MODEL_RESET (0x22), empty body: a streaming model's state (resource
 * variables) back to what it is before the first invoke, so that the host
 * can replay inputs in order from a known start; nothing for a stateless
 * model. Empty reply. */
#include <string.h>

#include "kws_hal.h"
#include "kws_protocol.h"
#include "model.h"

void kws_cmd_validate(const kws_request_t *req);
void kws_cmd_tensor(const kws_request_t *req);
void kws_cmd_model_reset(const kws_request_t *req);

#define TENSOR_WRITE_INPUT 0u
#define TENSOR_READ_OUTPUT 1u
#define TENSOR_HEAD 5u /* op u8, offset u32 */

void kws_cmd_validate(const kws_request_t *req)
{
    const unsigned long out_bytes = (unsigned long)KWS_MODEL_OUTPUT_BYTES;
    const int with_output = out_bytes + 8ul <= (unsigned long)KWS_MAX_BODY;
    uint8_t ticks_le[8];
    uint64_t start;
    uint64_t elapsed;
    unsigned i;

    if (req->len == 0u) {
        /* the input as TENSOR wrote it */
    } else if ((unsigned long)KWS_MODEL_INPUT_BYTES > (unsigned long)KWS_MAX_BODY) {
        kws_reply_error(req->seq, KWS_ERR_ARGUMENT,
                        "the model input is larger than a frame: write it with TENSOR, then send "
                        "VALIDATE with an empty body");
        return;
    } else if (req->len != KWS_MODEL_INPUT_BYTES) {
        kws_reply_error(req->seq, KWS_ERR_ARGUMENT,
                        "VALIDATE body must be exactly the model input tensor (or empty)");
        return;
    } else {
        memcpy(kws_model_input(), req->body, KWS_MODEL_INPUT_BYTES);
    }

    start = kws_ticks_now();
    (void)kws_model_invoke(NULL, NULL);
    elapsed = kws_ticks_now() - start;

    for (i = 0; i < 8u; ++i) {
        ticks_le[i] = (uint8_t)(elapsed >> (8u * i));
    }
    kws_reply_begin((uint8_t)(req->type | KWS_REPLY), req->seq,
                    (uint16_t)(8u + (with_output ? out_bytes : 0ul)));
    kws_reply_write(ticks_le, sizeof ticks_le);
    if (with_output) {
        kws_reply_write(kws_model_output(), KWS_MODEL_OUTPUT_BYTES);
    }
    kws_reply_end();
}

void kws_cmd_tensor(const kws_request_t *req)
{
    unsigned long offset;
    unsigned long n;

    if (req->len < TENSOR_HEAD) {
        kws_reply_error(req->seq, KWS_ERR_ARGUMENT, "TENSOR body: op u8, offset u32, ...");
        return;
    }
    offset = (unsigned long)req->body[1] | ((unsigned long)req->body[2] << 8) |
             ((unsigned long)req->body[3] << 16) | ((unsigned long)req->body[4] << 24);
    if (req->body[0] == TENSOR_WRITE_INPUT) {
        n = (unsigned long)req->len - TENSOR_HEAD;
        if (offset > (unsigned long)KWS_MODEL_INPUT_BYTES ||
            n > (unsigned long)KWS_MODEL_INPUT_BYTES - offset) {
            kws_reply_error(req->seq, KWS_ERR_ARGUMENT, "TENSOR write runs past the model input");
            return;
        }
        memcpy((uint8_t *)(void *)kws_model_input() + offset, req->body + TENSOR_HEAD, (size_t)n);
        kws_reply(req, req->body, 0u);
    } else if (req->body[0] == TENSOR_READ_OUTPUT) {
        if (req->len != TENSOR_HEAD + 2u) {
            kws_reply_error(req->seq, KWS_ERR_ARGUMENT, "TENSOR read body: 1, offset u32, length u16");
            return;
        }
        n = (unsigned long)req->body[5] | ((unsigned long)req->body[6] << 8);
        if (offset > (unsigned long)KWS_MODEL_OUTPUT_BYTES ||
            n > (unsigned long)KWS_MODEL_OUTPUT_BYTES - offset || n > (unsigned long)KWS_MAX_BODY) {
            kws_reply_error(req->seq, KWS_ERR_ARGUMENT, "TENSOR read runs past the model output");
            return;
        }
        kws_reply(req, (const uint8_t *)(const void *)kws_model_output() + offset, (uint16_t)n);
    } else {
        kws_reply_error(req->seq, KWS_ERR_ARGUMENT, "TENSOR op must be 0 (write input) or 1 (read output)");
    }
}

void kws_cmd_model_reset(const kws_request_t *req)
{
    if (req->len != 0u) {
        kws_reply_error(req->seq, KWS_ERR_ARGUMENT, "MODEL_RESET takes an empty body");
        return;
    }
    kws_model_reset();
    kws_reply(req, req->body, 0u);
}
