"""JSON paths and short value renderings for failure messages (``messages[1].arguments.items[0]``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def join(path: str, key: str | int) -> str:
    """``path`` extended by an object key or array index; odd keys are quoted (``a["b c"]``)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENT.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{orjson.dumps(key).decode()}]"


def join_all(path: str, keys: Iterable[str | int]) -> str:
    for key in keys:
        path = join(path, key)
    return path


def short(value: Any, limit: int = 60) -> str:
    """A value as JSON (``true``, ``null``, ``"x"``), cut to ``limit`` characters."""
    try:
        text = orjson.dumps(value).decode()
    except TypeError:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every scalar inside a JSON value (keys excluded), with its path."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from leaves(sub, join(path, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from leaves(sub, join(path, index))
    else:
        yield path, value


def strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string inside a JSON value, with its path."""
    return ((where, leaf) for where, leaf in leaves(value, path) if isinstance(leaf, str))
