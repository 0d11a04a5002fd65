"""Deterministic answers that spare the judge a call: grounded values, plain repetition, result shapes.

Each function returns what the judge still has to look at (or a failure it can settle alone); an
empty answer means that sub-judge's call is saved.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from toolace.records import AssistantMessage, Dialog, Failure, SystemMessage, ToolMessage, UserMessage
from toolace.jsonpaths import join, join_all, leaves, short

_NON_WORD = re.compile(r"[\W_]+")
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_SENTENCE = re.compile(r"[^.!?\u3002\uff01\uff1f\n]+")


def normalise(text: str) -> str:
    """Lower case, punctuation to spaces, one space between words, padded for whole-word search."""
    return f" {_NON_WORD.sub(' ', text.casefold()).strip()} "


def _numbers(text: str) -> set[float]:
    found = set()
    for token in _NUMBER.findall(text):
        try:
            found.add(float(token.replace(",", ".")))
            found.add(float(token.replace(",", "")))
        except ValueError:
            pass
    return found


def ungrounded_values(dialog: Dialog) -> list[tuple[str, str, Any]]:
    """Argument values not literally present in what came before their call: (path, function, value).

    Strings count as present when their words appear in order in the user, system or tool-result
    text (case and punctuation ignored); numbers when an equal number appears; booleans, nulls,
    empty strings, enum members and declared defaults are choices, not facts, and always count.
    """
    seen_text: list[str] = []
    found: list[tuple[str, str, Any]] = []
    for mi, message in enumerate(dialog.messages):
        if isinstance(message, (UserMessage, SystemMessage)):
            seen_text.append(message.content)
        elif isinstance(message, ToolMessage):
            seen_text.append(message.content if isinstance(message.content, str) else short(message.content, 10**6))
        elif isinstance(message, AssistantMessage) and message.tool_calls:
            context = "\n".join(seen_text)
            words, numbers = normalise(context), None
            for ci, call in enumerate(message.tool_calls):
                api = dialog.tool(call.name)
                properties = api.properties if api else {}
                base = f"messages[{mi}].tool_calls[{ci}].arguments"
                for key, argument in call.arguments.items():
                    declared = properties.get(key)
                    declared = declared if isinstance(declared, dict) else {}
                    for path, value in leaves(argument, join(base, key)):
                        if value is None or isinstance(value, bool) or value == "" \
                                or value == declared.get("default") or value in (declared.get("enum") or ()):
                            continue
                        if isinstance(value, (int, float)):
                            numbers = numbers if numbers is not None else _numbers(context)
                            if float(value) in numbers:
                                continue
                        elif isinstance(value, str) and normalise(value) in words:
                            continue
                        found.append((path, call.name, value))
    return found


def repetition(dialog: Dialog, *, min_words: int = 8, max_repeated_share: float = 0.3) -> str | None:
    """Why the assistant's texts plainly repeat themselves, or None."""
    replies = [m.content.strip() for m in dialog.messages
               if isinstance(m, AssistantMessage) and m.content and m.content.strip()]
    long_replies = [r for r in replies if len(r.split()) >= min_words]
    duplicates = [r for r, n in Counter(long_replies).items() if n > 1]
    if duplicates:
        return f"the same reply twice: {duplicates[0][:60]!r}"
    for reply in long_replies:
        sentences = [s.strip().casefold() for s in _SENTENCE.findall(reply) if len(s.split()) >= 4]
        repeated = [s for s, n in Counter(sentences).items() if n > 1]
        if repeated:
            return f"a sentence repeated within one reply: {repeated[0][:60]!r}"
        words = reply.casefold().split()
        trigrams = list(zip(words, words[1:], words[2:]))
        if trigrams:
            share = 1 - len(set(trigrams)) / len(trigrams)
            if share > max_repeated_share:
                return f"{share:.0%} of its word triples repeat: {' '.join(words[:12])!r}..."
    return None


def has_assistant_text(dialog: Dialog) -> bool:
    return any(isinstance(m, AssistantMessage) and m.content and m.content.strip() for m in dialog.messages)


def result_schema_failures(dialog: Dialog, returns_validator) -> list[Failure]:
    """bad_tool_response for results that break their API's returns schema (no judge needed)."""
    calls = {c.id: c for c in dialog.calls()}
    failures = []
    for mi, message in enumerate(dialog.messages):
        if not isinstance(message, ToolMessage):
            continue
        call = calls.get(message.tool_call_id)
        api = dialog.tool(call.name) if call else None
        validator = returns_validator(api) if api else None
        if validator is None or _is_error_result(message.content):
            continue
        error = next(iter(validator.iter_errors(message.content)), None)
        if error is not None:
            where = join_all("content", error.absolute_path)
            failures.append(Failure(check="bad_tool_response", path=f"messages[{mi}].{where}",
                                    message=f"messages[{mi}]: the {api.name} result breaks its returns schema "
                                            f"at {where}: {error.message[:120]}"))
    return failures


def _is_error_result(content: Any) -> bool:
    # Simulated errors answer wrong calls on purpose; their shape is not the success schema.
    return isinstance(content, dict) and "error" in content and len(content) <= 3
