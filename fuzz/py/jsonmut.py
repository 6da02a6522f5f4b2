"""A structure-aware mutator for JSON inputs (atheris custom_mutator).

Byte-level mutations alone rarely keep a JSON file valid, so the loaders'
checks behind the parser would hardly be reached. This mutator parses the
input, changes one node (a value of another type or at a limit, a key
removed, added or renamed, a list shortened or grown, a string mutated) and
writes it back, sometimes with another layout or encoding; one time in ten
it mutates the bytes as libFuzzer would, for the parser's own errors.
"""

from __future__ import annotations

import copy
import json
import random

import atheris

LIMITS = [None, True, False, 0, 1, -1, 2, 3, 255, 256, 65535, 65536, 2**31 - 1, 2**31, 2**32,
          2**63, 2**64 + 1, -2**63, 10**40, 0.5, -0.0, 1e-9, 1e308, float("nan"), float("inf"),
          float("-inf"), "", "0", "1", "0x", "0x0", "0x40000000", "0xFFFFFFFFF", "0x1g", "-",
          "x" * 200, "\u00e9", "\ud800", "a/b", "../x", "{}", "%", "*/", "\n", [], {}, [None],
          [1, 2, 3], {"": None}]


def _nodes(doc, path=()):
    """Every (path, value) in doc, the root first."""
    yield path, doc
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _nodes(v, path + (i,))


def _set(doc, path, value):
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return doc


def _tweak(value, rng: random.Random, donors: list):
    if isinstance(value, bool) or value is None:
        return rng.choice(LIMITS)
    if isinstance(value, int):
        return rng.choice([value + 1, value - 1, -value, value * 2, value // 2,
                           value ^ (1 << rng.randrange(40)), rng.randrange(-2, 20),
                           1 << rng.randrange(33), float(value), str(value)])
    if isinstance(value, float):
        finite = value == value and abs(value) < 1e18
        return rng.choice([value * 10, value / 10, -value, int(value) if finite else 0, str(value)])
    if isinstance(value, str):
        raw = atheris.Mutate(value.encode("utf-8", "surrogatepass"), max(8, 2 * len(value)))
        return raw.decode("utf-8", "replace")
    if isinstance(value, list):
        op = rng.randrange(4)
        if op == 0 and value:
            del value[rng.randrange(len(value))]
        elif op == 1 and value:
            value.insert(rng.randrange(len(value) + 1), rng.choice(value))
        elif op == 2:
            value.insert(rng.randrange(len(value) + 1), rng.choice(LIMITS + donors))
        else:
            rng.shuffle(value)
        return value
    if isinstance(value, dict):
        keys = list(value)
        op = rng.randrange(3)
        if op == 0 and keys:
            del value[rng.choice(keys)]
        elif op == 1 and keys:
            key = rng.choice(keys)
            value[_tweak(key, rng, donors)] = value.pop(key)
        else:
            key = rng.choice([k for d in donors if isinstance(d, dict) for k in d] or ["x"])
            value[key] = rng.choice(LIMITS + donors)
        return value
    return value


def mutate(data: bytes, max_size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    try:
        doc = json.loads(data)
    except ValueError:  # not JSON (or not UTF-8): bytes it is
        return atheris.Mutate(data, max_size)
    if rng.random() < 0.1:
        return atheris.Mutate(data, max_size)
    everything = list(_nodes(doc))
    path, node = rng.choice(everything)
    donors = [copy.deepcopy(n) for _, n in rng.sample(everything, min(3, len(everything)))]
    if rng.random() < 0.35:
        new = copy.deepcopy(rng.choice(LIMITS + donors))
    else:
        new = _tweak(copy.deepcopy(node), rng, donors)
    doc = _set(doc, path, new)
    text = json.dumps(doc, indent=rng.choice([None, 2]), ensure_ascii=rng.random() < 0.7)
    out = text.encode("utf-8", "surrogatepass")  # a lone surrogate: bytes that are not UTF-8
    return out[:max_size]


def mutate_parts(data: bytes, max_size: int, seed: int, parts: int, sep: bytes = b"\x00") -> bytes:
    """For an input of `parts` files joined by `sep`: mutate one of them."""
    rng = random.Random(seed)
    pieces = data.split(sep, parts - 1)
    pieces += [b""] * (parts - len(pieces))
    i = rng.randrange(parts)
    pieces[i] = mutate(pieces[i], max(1, max_size - sum(map(len, pieces)) + len(pieces[i])),
                       rng.randrange(1 << 30)).replace(sep, b"")
    return sep.join(pieces)[:max_size]
