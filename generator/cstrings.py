"""Safe C text from arbitrary strings: labels, names and JSON reach C source
through these functions only, so no input can break the generated code."""

from __future__ import annotations

import re

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if "
    "inline int long register restrict return short signed sizeof static struct switch typedef "
    "union unsigned void volatile while _Bool _Complex _Imaginary".split())


def c_string(text: str) -> str:
    """A C99 string literal holding the UTF-8 bytes of `text`.

    Printable ASCII stays readable; everything else becomes a three-digit
    octal escape (a hex escape would swallow a following hex digit). '?' is
    escaped so that no trigraph can form.
    """
    out = ['"']
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if ch in '"\\?':
            out.append("\\" + ch)
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    out.append('"')
    return "".join(out)


def c_comment(text: str) -> str:
    """Text safe inside a /* */ comment, on one line."""
    flat = "".join(c if 0x20 <= ord(c) < 0x7F else "?" for c in text)
    return flat.replace("*/", "*\\/").replace("/*", "/\\*")


def c_identifier(name: str, what: str = "name") -> str:
    """`name` unchanged if it is a valid C identifier, else a ValueError that says why."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{what} {name!r} is not a valid C identifier: use letters, digits "
                         "and underscores, not starting with a digit")
    if name in _C_KEYWORDS:
        raise ValueError(f"{what} {name!r} is a C keyword; choose another name")
    return name


# ------------------------------------------------------------ integer arrays
# Every C array initializer the generator writes (model weights and
# parameter blocks, frontend tables, the app's and the recognizer's
# per-label tables) is spelled by these two functions.

def c_int(value, ctype: str | None = None) -> str:
    """An integer as C text. INT32_MIN in an int32_t is written
    (-2147483647 - 1): 2147483648 does not fit an int, so "-2147483648"
    would be a negated long, not an int."""
    value = int(value)
    if ctype == "int32_t" and value == -(1 << 31):
        return "(-2147483647 - 1)"
    return str(value)


def c_brace_list(values, pad: str = "") -> str:
    """A one-line initializer: {1, 2, 3}, or { 1, 2, 3 } with pad=" "."""
    return "{" + pad + ", ".join(c_int(v) for v in values) + pad + "}"


def c_array_rows(values, per_line: int, ctype: str | None = None) -> str:
    """The body of a multi-line initializer: per_line values a line, each
    line indented four spaces and ending in a comma ("" for no values)."""
    items = [c_int(v, ctype) for v in values]
    return "\n".join("    " + ", ".join(items[i:i + per_line]) + ","
                     for i in range(0, len(items), per_line))
