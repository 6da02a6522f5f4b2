/* MLPerf Tiny / EEMBC EnergyRunner text protocol, performance mode (see
 * docs/mlperf.md). A main loop of its own: the firmware reads commands ended
 * by '%' and answers with text lines ending in "\r\n"; every command ends
 * with "m-ready". The output strings are those of the MLPerf Tiny reference
 * (mlcommons/tiny, benchmark/api/internally_implemented.cpp and the keyword
 * spotting reference submission), which EnergyRunner and the MLPerf Tiny
 * runner parse:
 *
 *   name%               m-name-dut-[<vendor>]
 *   profile%            m-profile-[ULPMark for tinyML Firmware V0.0.1]
 *                       m-model-[kws01]
 *   timestamp%          m-lap-us-<microseconds>
 *   db load N%          m-[Expecting N bytes]
 *   db <hex>%           (nothing until N bytes arrived) m-load-done
 *   db print%           m-buffer-xx-xx-xx-xx-xx-xx-xx-xx (8 bytes a line)
 *   infer N W%          m-warmup-start-W, m-warmup-done, m-infer-start-N,
 *                       m-lap-us-<t0>, m-lap-us-<t1>, m-infer-done, m-results-[...]
 *   results%            m-results-[<dequantized scores>]
 *   help%               the command list
 *
 * Unlike the reference, nothing here can overflow: the command buffer is
 * bounded (a longer command is discarded up to its '%' and reported), the db
 * buffer is exactly the model input, a hex chunk is checked whole before any
 * byte is stored, and no byte arrives outside a "db load". No printf: the
 * numbers are formatted with integer arithmetic. */
#include <stdint.h>
#include <string.h>

#include "kws_hal.h"
#include "model.h"
#include "runner_config.h"

#if KWS_MODEL_INPUT_IS_FLOAT || KWS_MODEL_OUTPUT_IS_FLOAT
#error "the MLPerf Tiny runner takes a model with int8 input and output tensors"
#endif

#define CMD_SIZE ((size_t)KWS_RUNNER_CMD_SIZE)
#define DB_SIZE ((size_t)KWS_MODEL_INPUT_BYTES)
#define MAX_TOKENS 4u
#define DEFAULT_WARMUP 10u /* the reference's default when W is not given */

typedef struct {
    const char *text;
    size_t len;
} token_t;

/* Command being received: at most CMD_SIZE characters before its '%'. */
static char s_cmd[CMD_SIZE];
static size_t s_cmd_len;
static int s_cmd_overflow;

/* The db buffer: exactly one model input. s_db_size is what "db load"
 * announced (0: none), s_db_pos how many bytes have arrived. */
static uint8_t s_db[DB_SIZE];
static size_t s_db_size;
static size_t s_db_pos;
static int s_have_results;

/* Output is collected here and written in pieces of up to its size. */
static uint8_t s_out[128];
static size_t s_out_len;

/* ------------------------------------------------------------------ output */

static void out_flush(void)
{
    if (s_out_len > 0u) {
        kws_uart_write(s_out, s_out_len);
        s_out_len = 0;
    }
}

static void out_char(char c)
{
    if (s_out_len == sizeof s_out) {
        out_flush();
    }
    s_out[s_out_len++] = (uint8_t)c;
}

static void out_str(const char *s)
{
    while (*s != '\0') {
        out_char(*s++);
    }
}

/* Text that came from the host, made safe for one line: anything but
 * printable ASCII (and ']', which ends the bracket) becomes '?'. */
static void out_echo(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out_char((c >= 0x20u && c < 0x7Fu && c != ']') ? (char)c : '?');
    }
}

static void out_u64(uint64_t value)
{
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + (int)(value % 10u));
        value /= 10u;
    } while (value != 0u);
    while (n > 0u) {
        out_char(digits[--n]);
    }
}

static void out_hex8(uint8_t value)
{
    static const char hex[] = "0123456789abcdef";
    out_char(hex[value >> 4]);
    out_char(hex[value & 0x0Fu]);
}

static void out_line(const char *s)
{
    out_str(s);
    out_str("\r\n");
}

/* ------------------------------------------------------------------ time */

/* Microseconds of the device's time base; uint64 all the way: no wrap. */
static uint64_t ticks_to_us(uint64_t ticks)
{
    uint64_t hz = kws_ticks_hz();
    if (hz == 0u) {
        return ticks;
    }
    return (ticks / hz) * 1000000u + (ticks % hz) * 1000000u / hz;
}

static void out_lap(uint64_t ticks)
{
    out_str("m-lap-us-");
    out_u64(ticks_to_us(ticks));
    out_str("\r\n");
}

/* ------------------------------------------------------------------ parsing */

static int is_separator(char c)
{
    /* The reference splits on ' '; tabs, CR, LF and other control bytes
     * (a terminal's Enter after '%') are separators here too. */
    return (unsigned char)c <= 0x20u;
}

static size_t tokenize(const char *s, size_t n, token_t *tokens, size_t max)
{
    size_t i = 0, count = 0;
    while (i < n && count < max) {
        size_t start;
        while (i < n && is_separator(s[i])) {
            i++;
        }
        if (i == n) {
            break;
        }
        start = i;
        while (i < n && !is_separator(s[i])) {
            i++;
        }
        tokens[count].text = s + start;
        tokens[count].len = i - start;
        count++;
    }
    return count;
}

static int token_is(const token_t *t, const char *word)
{
    size_t n = strlen(word);
    return t->len == n && memcmp(t->text, word, n) == 0;
}

enum { NUM_BAD = 0, NUM_OK = 1, NUM_TOO_BIG = 2 };

/* A decimal number with an optional sign; NUM_TOO_BIG beyond 2^32 - 1. */
static int parse_number(const token_t *t, uint32_t *value, int *negative)
{
    size_t i = 0;
    uint32_t v = 0;
    int big = 0;
    *negative = 0;
    if (t->len > 0u && (t->text[0] == '-' || t->text[0] == '+')) {
        *negative = t->text[0] == '-';
        i = 1;
    }
    if (i == t->len) {
        return NUM_BAD;
    }
    for (; i < t->len; i++) {
        char c = t->text[i];
        uint32_t d;
        if (c < '0' || c > '9') {
            return NUM_BAD;
        }
        d = (uint32_t)(c - '0');
        if (v > (UINT32_MAX - d) / 10u) {
            big = 1;
        } else {
            v = v * 10u + d;
        }
    }
    *value = v;
    return big ? NUM_TOO_BIG : NUM_OK;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* ------------------------------------------------------------------ model */

static void run_once(void)
{
    /* The arena reuses the input tensor's space: copy it in every time. */
    memcpy(kws_model_input(), s_db, DB_SIZE);
    (void)kws_model_invoke(NULL, NULL);
    s_have_results = 1;
}

/* One dequantized score, as the reference's th_results prints it: values in
 * [0, 1) as "0." and three truncated digits computed exactly as there
 * (float32 (q - zero_point) * scale, then (int)(v * 10), (int)(v * 100) % 10,
 * (int)(v * 1000) % 10). The reference cannot print other values; here they
 * are signed, truncated toward zero to three decimals ("-0.250", "3.141"). */
static void out_score(int8_t q)
{
    float v = (float)((int32_t)q - (int32_t)KWS_MODEL_OUTPUT_ZERO_POINT) * KWS_MODEL_OUTPUT_SCALE;
    if (v >= 0.0f && v < 1.0f) {
        out_str("0.");
        out_u64((uint64_t)(int32_t)(v * 10.0f));
        out_char((char)('0' + (int32_t)(v * 100.0f) % 10));
        out_char((char)('0' + (int32_t)(v * 1000.0f) % 10));
    } else {
        float milli = v * 1000.0f;
        uint64_t m;
        if (milli < 0.0f) {
            out_char('-');
            milli = -milli;
        }
        if (milli > 1.0e19f) {
            milli = 1.0e19f; /* below 2^64: the conversion stays defined */
        }
        m = (uint64_t)milli;
        out_u64(m / 1000u);
        out_char('.');
        out_char((char)('0' + (int)(m / 100u % 10u)));
        out_char((char)('0' + (int)(m / 10u % 10u)));
        out_char((char)('0' + (int)(m % 10u)));
    }
}

static void cmd_results(void)
{
    const kws_model_output_t *scores;
    size_t i;
    if (!s_have_results) {
        out_line("e-[No results yet: run infer first]");
        return;
    }
    scores = kws_model_output();
    out_str("m-results-[");
    for (i = 0; i < (size_t)KWS_MODEL_OUTPUT_COUNT; i++) {
        if (i > 0u) {
            out_char(',');
        }
        out_score(scores[i]);
    }
    out_line("]");
}

static void cmd_infer(const token_t *tokens, size_t count)
{
    uint32_t n = 1, w = DEFAULT_WARMUP, value;
    uint64_t t0, t1;
    int negative;
    if (count > 1u) {
        int r = parse_number(&tokens[1], &value, &negative);
        if (r == NUM_TOO_BIG) {
            out_line("e-[Inference iterations too large]");
            return;
        }
        if (r == NUM_BAD || negative || value == 0u) {
            out_line("e-[Inference iterations must be >0]");
            return;
        }
        n = value;
    }
    if (count > 2u) {
        int r = parse_number(&tokens[2], &value, &negative);
        if (r == NUM_TOO_BIG) {
            out_line("e-[Inference warmup too large]");
            return;
        }
        if (r == NUM_BAD || (negative && value != 0u)) {
            out_line("e-[Inference warmup must be >=0]");
            return;
        }
        w = value;
    }
    if (s_db_size != DB_SIZE || s_db_pos != DB_SIZE) {
        out_str("e-[Input db has ");
        out_u64(s_db_pos);
        out_str(" bytes, expected ");
        out_u64(DB_SIZE);
        out_line("]");
        return;
    }
    out_str("m-warmup-start-");
    out_u64(w);
    out_str("\r\n");
    out_flush();
    while (w-- > 0u) {
        run_once();
    }
    out_line("m-warmup-done");
    out_str("m-infer-start-");
    out_u64(n);
    out_str("\r\n");
    out_flush();
    /* Both time stamps are taken around the loop alone and printed after
     * it, so the UART's time is not part of the measurement. */
    t0 = kws_ticks_now();
    while (n-- > 0u) {
        run_once();
    }
    t1 = kws_ticks_now();
    out_lap(t0);
    out_lap(t1);
    out_line("m-infer-done");
    cmd_results();
}

/* ------------------------------------------------------------------ db */

static void db_reset(void)
{
    s_db_size = 0;
    s_db_pos = 0;
}

static void db_load(const token_t *tokens, size_t count)
{
    uint32_t value;
    int negative, r;
    if (count < 3u) {
        db_reset();
        out_line("e-[Command 'db load' requires the # of bytes]");
        return;
    }
    r = parse_number(&tokens[2], &value, &negative);
    if (r == NUM_BAD || negative || (r == NUM_OK && value == 0u)) {
        db_reset();
        out_line("e-[Command 'db load' must be >0 bytes]");
        return;
    }
    if (r == NUM_TOO_BIG || value > DB_SIZE) {
        db_reset();
        out_str("e-[Supplied buffer size ");
        out_echo(tokens[2].text, tokens[2].len);
        out_str(" exceeds maximum of ");
        out_u64(DB_SIZE);
        out_line("]");
        return;
    }
    s_db_size = value;
    s_db_pos = 0;
    out_str("m-[Expecting ");
    out_u64(value);
    out_line(" bytes]");
}

static void db_print(void)
{
    size_t i;
    for (i = 0; i < s_db_size; i++) {
        if (i % 8u == 0u) {
            out_str("m-buffer-");
        }
        out_hex8(s_db[i]);
        if ((i + 1u) % 8u == 0u || i + 1u == s_db_size) {
            out_str("\r\n");
        } else {
            out_char('-');
        }
    }
}

static void db_hex(const token_t *hex)
{
    size_t i, take;
    if (s_db_pos >= s_db_size) {
        out_line("e-[No db load in progress: send db load N first]");
        return;
    }
    if ((hex->len & 1u) != 0u) {
        out_line("e-[Insufficent number of hex digits]"); /* sic: the reference's text */
        return;
    }
    for (i = 0; i < hex->len; i += 2u) { /* all of it, before storing any */
        if (hex_value(hex->text[i]) < 0 || hex_value(hex->text[i + 1u]) < 0) {
            out_str("e-[Invalid hex digit '");
            out_echo(hex->text + i, 2u);
            out_line("']");
            return;
        }
    }
    take = hex->len / 2u;
    if (take > s_db_size - s_db_pos) {
        take = s_db_size - s_db_pos; /* the rest is disregarded, as in the reference */
    }
    for (i = 0; i < take; i++) {
        s_db[s_db_pos++] = (uint8_t)((hex_value(hex->text[2u * i]) << 4) |
                                     hex_value(hex->text[2u * i + 1u]));
    }
    if (s_db_pos == s_db_size) {
        out_line("m-load-done");
    }
}

static void cmd_db(const token_t *tokens, size_t count)
{
    if (count < 2u) {
        out_line("e-[Command 'db' requires a subcommand]");
    } else if (token_is(&tokens[1], "load")) {
        db_load(tokens, count);
    } else if (token_is(&tokens[1], "print")) {
        db_print();
    } else {
        db_hex(&tokens[1]);
    }
}

/* ------------------------------------------------------------------ commands */

static void cmd_help(void)
{
    out_line(KWS_RUNNER_FW_VERSION);
    out_line("");
    out_line("help         : Print this information");
    out_line("name         : Print the name of the device");
    out_line("timestamp    : Generate a timestamp");
    out_line("db SUBCMD    : Manipulate a generic byte buffer");
    out_line("  load N     : Allocate N bytes and set load counter");
    out_line("  db HH[HH]* : Load 8-bit hex byte(s) until N bytes");
    out_line("  print      : Print the buffer as hex, 8 bytes a line");
    out_line("infer N [W=10]: Load input, execute N inferences after W warmup loops");
    out_line("results      : Return the result fp32 vector");
}

static void dispatch(void)
{
    token_t tokens[MAX_TOKENS];
    size_t count;
    if (s_cmd_overflow) {
        out_str("e-[Command longer than ");
        out_u64(CMD_SIZE);
        out_line(" characters]");
        out_line("m-ready");
        return;
    }
    count = tokenize(s_cmd, s_cmd_len, tokens, MAX_TOKENS);
    if (count == 0u) {
        /* An empty command (a host flushing with a lone '%'): just ready. */
    } else if (token_is(&tokens[0], "name")) {
        out_line("m-name-dut-[" KWS_RUNNER_VENDOR "]");
    } else if (token_is(&tokens[0], "timestamp")) {
        out_lap(kws_ticks_now());
    } else if (token_is(&tokens[0], "profile")) {
        out_line("m-profile-[" KWS_RUNNER_FW_VERSION "]");
        out_line("m-model-[" KWS_RUNNER_MODEL_VERSION "]");
    } else if (token_is(&tokens[0], "help")) {
        cmd_help();
    } else if (token_is(&tokens[0], "db")) {
        cmd_db(tokens, count);
    } else if (token_is(&tokens[0], "infer")) {
        cmd_infer(tokens, count);
    } else if (token_is(&tokens[0], "results")) {
        cmd_results();
    } else {
        out_str("e-[Unknown command: ");
        out_echo(tokens[0].text, tokens[0].len);
        out_line("]");
    }
    out_line("m-ready");
}

static void feed(char c)
{
    if (c == KWS_RUNNER_TERMINATOR) {
        dispatch();
        out_flush();
        s_cmd_len = 0;
        s_cmd_overflow = 0;
    } else if (s_cmd_len < CMD_SIZE) {
        s_cmd[s_cmd_len++] = c;
    } else {
        s_cmd_overflow = 1; /* keep discarding up to the '%' */
    }
}

int kws_runner_main(void)
{
    /* ee_benchmark_initialize(): timestamp mode, a first time stamp, done. */
    out_line("m-timestamp-mode-performance");
    out_lap(kws_ticks_now());
    out_line("m-init-done");
    out_line("m-ready");
    out_flush();
    for (;;) {
        int c = kws_uart_getc();
        if (c < 0) {
            out_flush();
            return 0; /* host build: the input has ended */
        }
        feed((char)c);
    }
}
