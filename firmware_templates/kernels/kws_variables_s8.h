#ifndef KWS_VARIABLES_S8_H
#define KWS_VARIABLES_S8_H

#include "kws_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* READ_VARIABLE / ASSIGN_VARIABLE: count bytes from in to out (a state
 * buffer on one side). memmove: in place is allowed. */
void kws_copy_s8(const int8_t *input, int8_t *output, int32_t count);

#ifdef __cplusplus
}
#endif

#endif /* KWS_VARIABLES_S8_H */
