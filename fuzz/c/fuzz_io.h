/* What every libFuzzer target of the firmware shares (see docs/reliability.md):
 * the HAL the targets link instead of hal/host.c, the checks of what the
 * firmware writes, and the budget of model runs per input. */
#ifndef FUZZ_IO_H
#define FUZZ_IO_H

#include <stddef.h>
#include <stdint.h>

/* A broken promise: prints what and where, then aborts, which libFuzzer
 * reports as a crash with the input that caused it. */
#define FUZZ_CHECK(cond, ...) \
    do { if (!(cond)) fuzz_fail(__FILE__, __LINE__, __VA_ARGS__); } while (0)
void fuzz_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

/* CRC-32 (IEEE, reflected, as zlib), bit by bit: deliberately not the
 * firmware's table, so that the two check each other. */
uint32_t fuzz_crc32(const uint8_t *p, size_t n);

/* ---- UART output ----
 * Binary protocol: every byte the firmware writes goes through a checker
 * that decodes the reply frames (COBS, CRC, header, length) as the host
 * would and counts them. */
typedef struct {
    size_t frames;          /* valid reply frames seen so far */
    uint8_t type;           /* of the last one */
    uint16_t seq;
    uint16_t len;
    uint8_t body[4096 + 16];
} fuzz_reply_t;

extern fuzz_reply_t fuzz_last_reply;
/* Mode of the UART: frames (binary protocol) or text lines (MLPerf runner). */
enum { FUZZ_UART_FRAMES = 0, FUZZ_UART_TEXT = 1 };
void fuzz_uart_reset(int mode);
/* Bytes of a frame the checker holds but has not seen end: must be 0
 * between requests (a reply is whole or absent). */
size_t fuzz_uart_pending(void);

/* Text mode: "m-ready" lines seen. Every line must be printable ASCII ended
 * by CR LF and at most FUZZ_TEXT_LINE_MAX characters. */
#define FUZZ_TEXT_LINE_MAX 400u
size_t fuzz_text_ready_lines(void);

/* ---- UART input, for the runner's own main loop (kws_uart_getc) ---- */
void fuzz_uart_input(const uint8_t *data, size_t size);

/* ---- the model ----
 * An inference takes milliseconds under the sanitizers, and one input may
 * ask for thousands (BENCH 64, infer N). The first FUZZ_REAL_INFERENCES of
 * an input run the real model; later ones copy the input tensor's first
 * bytes into the output, so what follows (labels, recognizer) still sees
 * scores the input controls. Past fuzz_inference_limit (when set) the input
 * is abandoned through fuzz_abandon: it asks for more work than a fuzz input
 * may take, which is not a fault. */
#define FUZZ_REAL_INFERENCES 1u
void fuzz_model_reset(size_t limit); /* limit 0: no limit */
size_t fuzz_model_inferences(void);
extern void (*fuzz_abandon)(void);

/* ---- replies written by handlers (the binary targets link with
 * -Wl,--wrap=kws_reply_begin,--wrap=kws_reply_write,--wrap=kws_reply_end):
 * a handler writes exactly the length it announced, one reply at a time.
 * kws_reply_write would otherwise cut or kws_reply_end pad the body, and the
 * host would get a well-formed frame with the wrong contents. */
int fuzz_reply_open(void);

/* ---- the firmware's state between inputs ----
 * The commands keep state in statics (a clip, a stream, the frontend's
 * window). libFuzzer can only reproduce a crash whose input alone causes
 * it, so every input starts from a fresh boot's state. The state_*.c files
 * compile the command's own source and add the reset. */
void fuzz_reset_features(void);
void fuzz_reset_classify(void);
void fuzz_reset_stream(void);
void fuzz_reset_firmware(void); /* all of the above and the pipeline */

#endif
