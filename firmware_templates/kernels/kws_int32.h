#ifndef KWS_INT32_H
#define KWS_INT32_H

/* Plain (not quantized) integer tensors, as TFLite Micro's Signal front end
 * graphs use them after the log: CAST between integer types, and int32
 * MUL/ADD/DIV/MINIMUM/MAXIMUM by a constant scalar. See
 * generator/model/ops/intmath.py. */
#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { KWS_I32_MUL = 0, KWS_I32_ADD = 1, KWS_I32_DIV = 2, KWS_I32_MIN = 3, KWS_I32_MAX = 4 };

typedef struct {
    int32_t count;
    int32_t op; /* KWS_I32_* */
    int32_t scalar; /* the second operand (DIV: neither 0 nor -1) */
} kws_i32_scalar_params_t;

typedef struct {
    int32_t count;
    int32_t in_bytes; /* 1, 2 or 4 */
    int32_t in_unsigned;
    int32_t out_bytes; /* 1, 2 or 4: the value wraps to that width */
} kws_int_cast_params_t;

/* output[i] = input[i] op scalar, int32 wrapping like the reference's */
void kws_i32_scalar(const kws_i32_scalar_params_t *p, const void *input, void *output);
/* element i is read before it is written (Step.reads gives the planner the order) */
void kws_int_cast(const kws_int_cast_params_t *p, const void *input, void *output);

#ifdef __cplusplus
}
#endif

#endif /* KWS_INT32_H */
