"""ToolACE/BFCL call strings: ``[func(a=1, b="x"), Market Trends API(country="us")]``, parsed and printed.

A hand-written recursive-descent parser, because the strings are model output and not Python:
function names may hold spaces, dots, hyphens and apostrophes ("Search Strong's Number API"), and
argument names may start with a digit or a dot (Hammer's masked names). Values are Python literals
(strings in either quote with escapes, ints, floats, True/False/None, lists, tuples, dicts), nested
to any depth; JSON spellings (true/false/null) are accepted too. Nothing is ever evaluated.

``print_calls`` writes the inverse: ``parse_calls(print_calls(calls)) == calls`` for every JSON value.
"""

from __future__ import annotations

import math
import re
from typing import Any

# Characters that end a function name, an argument name or a bare word.
_NAME_STOP = set("()[]{},=\"\n")  # "(" and ")" may still appear inside a name: see _Parser.call
_NAME_TEXT_STOP = set("[]{},=\"\n")
_KEY_STOP = set("()[]{},=:'\" \t\r\n")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "a": "\a", "0": "\0",
            "\\": "\\", "'": "'", '"': '"', "\n": ""}
_WORDS = {"True": True, "False": False, "None": None, "true": True, "false": False, "null": None}


class CallSyntaxError(ValueError):
    """A call string that does not parse; the message names the position and what was expected."""


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def fail(self, expected: str) -> CallSyntaxError:
        near = self.text[self.pos:self.pos + 20]
        found = repr(near) if near else "end of text"
        return CallSyntaxError(f"at character {self.pos}: expected {expected}, found {found}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def expect(self, char: str) -> None:
        self.skip_space()
        if self.peek() != char:
            raise self.fail(repr(char))
        self.pos += 1

    def take(self, char: str) -> bool:
        self.skip_space()
        if self.peek() == char:
            self.pos += 1
            return True
        return False

    # -- calls --------------------------------------------------------------------------------

    def calls(self) -> list[dict[str, Any]]:
        self.expect("[")
        found = []
        if not self.take("]"):
            while True:
                found.append(self.call())
                if self.take("]"):
                    break
                self.expect(",")
        self.skip_space()
        if self.pos != len(self.text):
            raise self.fail("end of text after ']'")
        return found

    def call(self) -> dict[str, Any]:
        """``name(k=v, ...)``. Real names hold parentheses and commas ("User Feed (Video Posts) V2"),
        so each ``(`` is tried as the start of the arguments until one parses and is followed by
        ``,`` or ``]``; the first failure is the one reported."""
        self.skip_space()
        start = scan = self.pos
        first_error: CallSyntaxError | None = None
        while True:
            # A comma may be part of a name ("M4.5+ Earthquakes, Past 7 Days") until a "(" has
            # failed as an argument list: after that it ends the call ("[f(x), g(b=1)]" is an error).
            stops = _NAME_TEXT_STOP if first_error else _NAME_TEXT_STOP - {","}
            while scan < len(self.text) and self.text[scan] != "(" and self.text[scan] not in stops:
                scan += 1
            if self.text[scan:scan + 1] != "(":
                if first_error is not None:
                    raise first_error
                self.pos = scan
                raise self.fail("'(' after the function name" if self.text[start:scan].strip() else "a function name")
            name = self.text[start:scan].strip()
            self.pos = scan + 1
            try:
                if not name:
                    raise CallSyntaxError(f"at character {start}: expected a function name before '('")
                arguments = self.arguments(name)
                self.skip_space()
                if self.peek() in (",", "]"):
                    return {"name": name, "arguments": arguments}
                raise self.fail("',' or ']' after a call")
            except CallSyntaxError as e:
                first_error = first_error or e
            scan += 1

    def arguments(self, name: str) -> dict[str, Any]:
        arguments: dict[str, Any] = {}
        if self.take(")"):
            return arguments
        while True:
            key = self.key()
            if key in arguments:
                raise CallSyntaxError(f"at character {self.pos}: argument {key!r} given twice in {name}()")
            if not self.take("="):
                raise self.fail("'=' after an argument name (calls take keyword arguments only)")
            arguments[key] = self.value()
            if self.take(")"):
                return arguments
            self.expect(",")
            if self.take(")"):  # trailing comma
                return arguments

    def key(self) -> str:
        self.skip_space()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _KEY_STOP:
            self.pos += 1
        if self.pos == start:
            raise self.fail("an argument name (positional arguments are not allowed)")
        return self.text[start:self.pos]

    # -- literals -----------------------------------------------------------------------------

    def value(self) -> Any:
        self.skip_space()
        char = self.peek()
        if char in "\"'" or (char in "rRuU" and self.text[self.pos + 1:self.pos + 2] in ("'", '"')):
            return self.string()
        if char == "[":
            self.pos += 1
            return self.sequence("]")
        if char == "(":
            self.pos += 1
            return self.parenthesised()
        if char == "{":
            self.pos += 1
            return self.mapping()
        if char == "-" or char == "+" or char == "." or char.isdigit():
            return self.number()
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] == "_"):
            self.pos += 1
        word = self.text[start:self.pos]
        if word in _WORDS:
            return _WORDS[word]
        self.pos = start
        raise self.fail("a literal value (string, number, True/False/None, list or dict)")

    def sequence(self, close: str) -> list[Any]:
        items: list[Any] = []
        if self.take(close):
            return items
        while True:
            items.append(self.value())
            if self.take(close):
                return items
            self.expect(",")
            if self.take(close):
                return items

    def parenthesised(self) -> Any:
        """``()`` and ``(a, b)`` are tuples (read as lists); ``(a)`` is just ``a``."""
        if self.take(")"):
            return []
        first = self.value()
        if self.take(")"):
            return first
        self.expect(",")
        if self.take(")"):
            return [first]
        return [first] + self.sequence(")")

    def mapping(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if self.take("}"):
            return result
        while True:
            self.skip_space()
            at = self.pos
            key = self.value()
            if not isinstance(key, str):
                self.pos = at
                raise self.fail("a string dict key")
            self.expect(":")
            result[key] = self.value()
            if self.take("}"):
                return result
            self.expect(",")
            if self.take("}"):
                return result

    def string(self) -> str:
        raw = False
        if self.peek() in "rRuU":
            raw = self.peek() in "rR"
            self.pos += 1
        quote = self.peek()
        triple = self.text.startswith(quote * 3, self.pos)
        delimiter = quote * 3 if triple else quote
        self.pos += len(delimiter)
        parts: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise self.fail(f"closing {delimiter}")
            if self.text.startswith(delimiter, self.pos):
                self.pos += len(delimiter)
                return "".join(parts)
            char = self.text[self.pos]
            if char == "\n" and not triple:
                raise self.fail(f"closing {delimiter} before the end of the line")
            if char == "\\":
                parts.append(self._escape(raw))
                continue
            parts.append(char)
            self.pos += 1

    def _escape(self, raw: bool) -> str:
        nxt = self.text[self.pos + 1:self.pos + 2]
        if raw:  # a raw string keeps the backslash; it only stops an escaped quote from closing
            self.pos += 2 if nxt else 1
            return "\\" + nxt
        if nxt in _ESCAPES:
            self.pos += 2
            return _ESCAPES[nxt]
        width = {"x": 2, "u": 4, "U": 8}.get(nxt)
        if width:
            digits = self.text[self.pos + 2:self.pos + 2 + width]
            if len(digits) != width or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise self.fail(f"{width} hex digits after \\{nxt}")
            self.pos += 2 + width
            code = int(digits, 16)
            low = self.text[self.pos:self.pos + 6]
            if 0xD800 <= code < 0xDC00 and re.fullmatch(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}", low):
                # a JSON-style surrogate pair (\ud83d\ude00) is one character
                self.pos += 6
                return chr(0x10000 + ((code - 0xD800) << 10) + (int(low[2:], 16) - 0xDC00))
            return chr(code)
        self.pos += 1  # an unknown escape keeps its backslash, as Python does
        return "\\"

    def number(self) -> int | float:
        start = self.pos
        if self.peek() in "+-":
            self.pos += 1
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "._"
                                             or (self.text[self.pos] in "+-" and self.text[self.pos - 1] in "eE")):
            self.pos += 1
        token = self.text[start:self.pos].replace("_", "")
        try:
            if any(c in token for c in ".eE") and not token.lower().startswith(("0x", "-0x", "+0x")):
                value: int | float = float(token)
                if not math.isfinite(value):
                    raise ValueError
                return value
            return int(token) if token.lstrip("+-").isdigit() else int(token, 0)
        except ValueError:
            self.pos = start
            raise self.fail("a number") from None


def parse_calls(text: str) -> list[dict[str, Any]]:
    """``"[f(a=1), g(b='x')]"`` -> ``[{"name": "f", "arguments": {"a": 1}}, ...]``."""
    return _Parser(text).calls()


def parse_literal(text: str) -> Any:
    """One Python/JSON literal (``"[{'name': 'f', 'results': {...}}]"``) into JSON values."""
    parser = _Parser(text)
    value = parser.value()
    parser.skip_space()
    if parser.pos != len(text):
        raise parser.fail("end of text")
    return value


def looks_like_calls(text: str) -> bool:
    """True when a reply is shaped as a call list: ``[name(...)...]``."""
    stripped = text.strip()
    if not (stripped.startswith("[") and stripped.endswith("]")):
        return False
    inner = stripped[1:].lstrip()
    cut = inner.find("(")
    return cut > 0 and not any(c in _NAME_TEXT_STOP - {","} for c in inner[:cut])


# -- printing ---------------------------------------------------------------------------------

_PRINT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def print_literal(value: Any) -> str:
    """A JSON value as a Python literal with double-quoted strings (``True``, ``None``, ``[1, "x"]``)."""
    if value is None:
        return "None"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} has no literal form")
        return repr(value)
    if isinstance(value, str):
        out = []
        for char in value:
            if char in _PRINT_ESCAPES:
                out.append(_PRINT_ESCAPES[char])
            elif ord(char) < 0x20 or char == "\x7f":
                out.append(f"\\x{ord(char):02x}")
            else:
                out.append(char)
        return '"' + "".join(out) + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(print_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{print_literal(str(k))}: {print_literal(v)}" for k, v in value.items()) + "}"
    raise ValueError(f"cannot print a {type(value).__name__} as a literal")


def printable_name(name: str) -> bool:
    """Whether a function name survives a print/parse round trip (parentheses may, if they parse back)."""
    if not name.strip() or name != name.strip() or any(c in _NAME_TEXT_STOP - {","} for c in name):
        return False
    if not any(c in name for c in "(),"):
        return True
    try:
        return parse_calls(f"[{name}()]") == [{"name": name, "arguments": {}}]
    except CallSyntaxError:
        return False


def printable_key(key: str) -> bool:
    """Whether an argument name survives a print/parse round trip."""
    return bool(key) and not any(c in _KEY_STOP for c in key)


def print_calls(calls: list[dict[str, Any]]) -> str:
    """``[{"name": "f", "arguments": {"a": 1}}]`` -> ``'[f(a=1)]'``; raises ValueError if unprintable."""
    parts = []
    for call in calls:
        name, arguments = call["name"], call.get("arguments") or {}
        if not printable_name(name):
            raise ValueError(f"function name {name!r} cannot be written in call syntax")
        bad = [k for k in arguments if not printable_key(k)]
        if bad:
            raise ValueError(f"argument name {bad[0]!r} of {name} cannot be written in call syntax")
        parts.append(f"{name}(" + ", ".join(f"{k}={print_literal(v)}" for k, v in arguments.items()) + ")")
    return "[" + ", ".join(parts) + "]"
