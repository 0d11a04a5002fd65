"""Sample consistency: roles in order, every call answered once by a result of the same name, and
nothing that contradicts the system prompt's format.

A call's results must come as the tool messages right after its assistant turn. A dialog may end on
a call turn without results when ``allow_trailing_calls`` is set: that is the shape of call-only
samples (xLAM, BFCL), whose answer *is* the call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from toolace.records import AssistantMessage, Failure, SystemMessage, ToolMessage, UserMessage

# Instructions that allow nothing but the call in a call turn (ToolACE: "NO other text MUST be included").
_CALLS_ONLY = re.compile(r"no other text|only (?:return|output|reply with|respond with) the function call",
                         re.IGNORECASE)
_TEXT_CALL_MARKERS = ("<tool_call>", "<function_call>", "<|python_tag|>")
_DECLARED_NAME = re.compile(r'\{\s*"name"\s*:')


def check_roles(ctx) -> Iterator[Failure]:
    """role_order: a user opens, turns alternate sensibly, an assistant turn closes."""
    messages = [(i, m) for i, m in enumerate(ctx.dialog.messages) if not isinstance(m, SystemMessage)]
    if not messages:
        yield Failure(check="role_order", path="messages", message="the dialog has no user or assistant turn")
        return
    first_index, first = messages[0]
    if not isinstance(first, UserMessage):
        yield Failure(check="role_order", path=f"messages[{first_index}]",
                      message=f"messages[{first_index}]: the dialog opens with {first.role}, not user")
    for (_, previous), (index, message) in zip(messages, messages[1:]):
        if isinstance(message, UserMessage) and isinstance(previous, UserMessage):
            yield Failure(check="role_order", path=f"messages[{index}]",
                          message=f"messages[{index}]: two user turns in a row")
        elif isinstance(message, AssistantMessage) and isinstance(previous, AssistantMessage) \
                and not previous.tool_calls:
            yield Failure(check="role_order", path=f"messages[{index}]",
                          message=f"messages[{index}]: an assistant turn follows an assistant reply")
    last_index, last = messages[-1]
    if isinstance(last, UserMessage):
        yield Failure(check="role_order", path=f"messages[{last_index}]",
                      message=f"messages[{last_index}]: the dialog ends on a user turn nobody answers")
    elif isinstance(last, ToolMessage):
        yield Failure(check="role_order", path=f"messages[{last_index}]",
                      message=f"messages[{last_index}]: the dialog ends on a tool result the assistant never uses")


def check_results(ctx) -> Iterator[Failure]:
    """unanswered_call, orphan_result and result_name_mismatch."""
    messages = ctx.dialog.messages
    pending: dict[str, tuple[int, int, str]] = {}  # calls of the current call turn still waiting
    answered: set[str] = set()  # calls of the current call turn already answered
    seen: set[str] = set()  # every call id so far
    results_in_turn = 0
    for mi, message in enumerate(messages):
        if isinstance(message, ToolMessage):
            call_id = message.tool_call_id
            if call_id in pending:
                _, _, name = pending.pop(call_id)
                answered.add(call_id)
                results_in_turn += 1
                if message.name != name:
                    yield Failure(check="result_name_mismatch", path=f"messages[{mi}].name",
                                  message=f"messages[{mi}]: result named {message.name!r} answers call "
                                          f"{call_id!r} to {name!r}")
            elif call_id in answered:
                yield Failure(check="orphan_result", path=f"messages[{mi}]",
                              message=f"messages[{mi}]: a second result for call {call_id!r}")
            elif call_id in seen:
                yield Failure(check="orphan_result", path=f"messages[{mi}]",
                              message=f"messages[{mi}]: answers call {call_id!r} of an earlier turn; results "
                                      "must directly follow their call turn")
            else:
                yield Failure(check="orphan_result", path=f"messages[{mi}]",
                              message=f"messages[{mi}]: answers {call_id!r}, which no preceding call turn made")
            continue
        yield from _unanswered(pending)
        pending, answered, results_in_turn = {}, set(), 0
        if isinstance(message, AssistantMessage):
            for ci, call in enumerate(message.tool_calls):
                if call.id in seen:
                    yield Failure(check="unanswered_call", path=f"messages[{mi}].tool_calls[{ci}].id",
                                  message=f"messages[{mi}]: call id {call.id!r} is used twice, so its results "
                                          "cannot be told apart")
                    continue
                seen.add(call.id)
                pending[call.id] = (mi, ci, call.name)
    trailing = pending and results_in_turn == 0 and ctx.config.allow_trailing_calls
    if not trailing:
        yield from _unanswered(pending)


def _unanswered(pending: dict[str, tuple[int, int, str]]) -> Iterator[Failure]:
    for call_id, (mi, ci, name) in pending.items():
        yield Failure(check="unanswered_call", path=f"messages[{mi}].tool_calls[{ci}]",
                      message=f"messages[{mi}]: call {call_id!r} to {name!r} has no result")


def check_system(ctx) -> Iterator[Failure]:
    """system_format_conflict: misplaced system prompts and turns breaking the prompt's call format."""
    messages = ctx.dialog.messages
    systems = [(i, m) for i, m in enumerate(messages) if isinstance(m, SystemMessage)]
    for index, _ in systems:
        if index != 0:
            yield Failure(check="system_format_conflict", path=f"messages[{index}]",
                          message=f"messages[{index}]: a system message after the dialog started; "
                                  "the system prompt must come first and only once")
    system_text = "\n".join(m.content for _, m in systems)
    calls_only = bool(system_text) and _CALLS_ONLY.search(system_text) is not None
    names = list(ctx.tools)
    for mi, message in enumerate(messages):
        if not isinstance(message, AssistantMessage) or not message.content:
            continue
        if calls_only and message.tool_calls and message.content.strip():
            yield Failure(check="system_format_conflict", path=f"messages[{mi}].content",
                          message=f"messages[{mi}]: the system prompt allows only the call in a call turn, "
                                  f"but the turn also says {message.content.strip()[:40]!r}")
        written = _call_written_as_text(message.content, names)
        if written:
            yield Failure(check="system_format_conflict", path=f"messages[{mi}].content",
                          message=f"messages[{mi}]: a call written as text ({written}) instead of a "
                                  "structured tool call")
    if system_text and '"parameters"' in system_text and ctx.tools:
        offered = declared_functions(system_text) - set(ctx.tools)
        if offered:
            yield Failure(check="system_format_conflict", path="messages[0].content",
                          message="the system prompt offers functions missing from the tool list: "
                                  f"{', '.join(sorted(offered)[:5])}")


def declared_functions(text: str) -> set[str]:
    """Names of the function definitions written as JSON in a text: objects with a "name" and
    "parameters" (a parameter listed as ``{"name": "subject", "description": ...}`` is not one)."""
    decoder, names = json.JSONDecoder(), set()
    for match in _DECLARED_NAME.finditer(text):
        try:
            found, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(found, dict) and isinstance(found.get("name"), str) and "parameters" in found:
            names.add(found["name"])
    return names


def _call_written_as_text(text: str, names: list[str]) -> str | None:
    for marker in _TEXT_CALL_MARKERS:
        if marker in text:
            return marker
    if "(" in text or '"name"' in text:
        for name in names:
            if f"{name}(" in text or f'"name": "{name}"' in text:
                return name
    return None
