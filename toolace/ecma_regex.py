"""JSON Schema's ``pattern`` dialect: ECMA-262 regular expressions, compiled by ``regress`` (Rust's
``regress`` engine, the one the JSON Schema ecosystem maintains for this), never by Python's ``re``.

The two dialects differ in both directions: ``(?P<y>...)``, ``(?i)`` and ``\\Z`` are Python only (an
ECMA engine refuses them, so does the decoding engine); ``\\d`` and ``\\w`` are ASCII in ECMA but
Unicode in ``re``, so "٣" matches ``^\\d$`` only in Python. JSON Schema asks for the ``u`` flag; a
pattern that only compiles without it (``\\-`` outside a class, legal in web browsers) is read
without it, and that reading is reported as a blemish rather than a broken schema.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import regress


class Pattern(NamedTuple):
    """A compiled pattern, or why it does not compile; ``unicode`` tells which reading was used."""

    regex: regress.Regex | None
    unicode: bool
    error: str | None


@lru_cache(maxsize=8192)
def compile_pattern(pattern: str) -> Pattern:
    """``pattern`` compiled as ECMA-262: with the ``u`` flag if it can be, else as browsers read it."""
    try:
        return Pattern(regress.Regex(pattern, "u"), True, None)
    except regress.RegressError as unicode_error:
        try:
            return Pattern(regress.Regex(pattern), False, None)
        except regress.RegressError:
            return Pattern(None, False, str(unicode_error))


def search(pattern: str, text: str) -> bool:
    """Whether ``pattern`` matches somewhere in ``text`` (JSON Schema patterns are not anchored).

    Raises ValueError for a pattern no ECMA-262 engine compiles.
    """
    compiled = compile_pattern(pattern)
    if compiled.regex is None:
        raise ValueError(f"pattern {pattern!r} is not an ECMA-262 regular expression: {compiled.error}")
    return compiled.regex.find(text) is not None


def is_valid(pattern: object) -> bool:
    """Whether a value is a pattern an ECMA-262 engine compiles (the ``regex`` format, too)."""
    return isinstance(pattern, str) and compile_pattern(pattern).regex is not None
