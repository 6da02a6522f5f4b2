/* VALIDATE (0x20): run the model on one input tensor sent by the host.
 *
 * Request body: the raw input tensor, exactly KWS_MODEL_INPUT_BYTES bytes
 * (int8 values, or little-endian float32 for a float-input model).
 * Reply body: the elapsed ticks of the inference (u64, little endian, from
 * kws_ticks_now() taken right before and after kws_model_invoke), followed
 * by the raw output tensor (KWS_MODEL_OUTPUT_BYTES bytes). */
#include <string.h>

#include "kws_hal.h"
#include "kws_protocol.h"
#include "model.h"

void kws_cmd_validate(const kws_request_t *req);

void kws_cmd_validate(const kws_request_t *req)
{
    uint8_t ticks_le[8];
    uint64_t start;
    uint64_t elapsed;
    unsigned i;

    if ((unsigned long)KWS_MODEL_INPUT_BYTES > (unsigned long)KWS_MAX_BODY ||
        (unsigned long)KWS_MODEL_OUTPUT_BYTES + 8ul > (unsigned long)KWS_MAX_BODY) {
        kws_reply_error(req->seq, KWS_ERR_STATE,
                        "model tensors are larger than a protocol frame; VALIDATE unavailable");
        return;
    }
    if (req->len != KWS_MODEL_INPUT_BYTES) {
        kws_reply_error(req->seq, KWS_ERR_ARGUMENT,
                        "VALIDATE body must be exactly the model input tensor");
        return;
    }
    memcpy(kws_model_input(), req->body, KWS_MODEL_INPUT_BYTES);

    start = kws_ticks_now();
    (void)kws_model_invoke(NULL, NULL);
    elapsed = kws_ticks_now() - start;

    for (i = 0; i < 8u; ++i) {
        ticks_le[i] = (uint8_t)(elapsed >> (8u * i));
    }
    kws_reply_begin((uint8_t)(req->type | KWS_REPLY), req->seq,
                    (uint16_t)(8u + KWS_MODEL_OUTPUT_BYTES));
    kws_reply_write(ticks_le, sizeof ticks_le);
    kws_reply_write(kws_model_output(), KWS_MODEL_OUTPUT_BYTES);
    kws_reply_end();
}
