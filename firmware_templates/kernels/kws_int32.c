/* Plain integer CAST and int32 arithmetic by a scalar (see kws_int32.h). */
#include <string.h>

#include "kws_int32.h"

void kws_i32_scalar(const kws_i32_scalar_params_t *p, const void *input, void *output)
{
    const int32_t *in = (const int32_t *)input;
    int32_t *out = (int32_t *)output;
    const int32_t b = p->scalar;
    int32_t i;
    for (i = 0; i < p->count; ++i) {
        const int32_t a = in[i];
        int32_t r;
        switch (p->op) {
        case KWS_I32_MUL: r = (int32_t)((uint32_t)a * (uint32_t)b); break; /* wraps */
        case KWS_I32_ADD: r = (int32_t)((uint32_t)a + (uint32_t)b); break;
        case KWS_I32_DIV: r = a / b; break; /* truncates, as C++ does */
        case KWS_I32_MIN: r = a < b ? a : b; break;
        default: r = a > b ? a : b; break;
        }
        out[i] = r;
    }
}

void kws_int_cast(const kws_int_cast_params_t *p, const void *input, void *output)
{
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    int32_t i;
    /* Reads element i before writing it and never writes past element i's
     * bytes, so a narrowing cast may run in place; a widening one needs the
     * output below the input (the planner's read order says so). */
    for (i = 0; i < p->count; ++i) {
        uint32_t v;
        if (p->in_bytes == 1) {
            int8_t x;
            memcpy(&x, in + i, 1);
            v = p->in_unsigned ? (uint32_t)(uint8_t)x : (uint32_t)(int32_t)x;
        } else if (p->in_bytes == 2) {
            int16_t x;
            memcpy(&x, in + 2 * i, 2);
            v = p->in_unsigned ? (uint32_t)(uint16_t)x : (uint32_t)(int32_t)x;
        } else {
            memcpy(&v, in + 4 * i, 4);
        }
        if (p->out_bytes == 1) {
            out[i] = (uint8_t)v;
        } else if (p->out_bytes == 2) {
            const uint16_t w = (uint16_t)v;
            memcpy(out + 2 * i, &w, 2);
        } else {
            memcpy(out + 4 * i, &v, 4);
        }
    }
}
