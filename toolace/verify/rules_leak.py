"""prompt_leak: a user or assistant text that repeats toolace's own agent instructions.

A weak or confused model sometimes writes its instructions into the message ("Your task: Ask for
something that needs ..."). Such a turn teaches the learner to talk about prompts, so it is a
rejection. The sign is a run of ``prompt_leak_words`` consecutive words taken from the static text
of the user, assistant or tool agent templates (never across a ``$placeholder``, whose values are
the dialog's own content); ordinary speech does not reproduce five words of an instruction in a row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from toolace.dialogs.render import sectioned
from toolace.records import AssistantMessage, Failure, UserMessage

AGENT_PROMPTS = ("dialog_user", "dialog_assistant", "dialog_tool")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_PLACEHOLDER = re.compile(r"\$(?:\w+|\{\w+\})")
_NOT_INSTRUCTIONS = {"styles"}  # short descriptions of a persona, which a user may well voice


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@lru_cache(maxsize=8)
def instruction_runs(n: int) -> dict[tuple[str, ...], str]:
    """Every run of ``n`` consecutive static words of the agent templates -> the template it is from."""
    runs: dict[tuple[str, ...], str] = {}
    for name in AGENT_PROMPTS:
        for section, template in sectioned(name).sections.items():
            if section in _NOT_INSTRUCTIONS:
                continue
            for chunk in _PLACEHOLDER.split(template.template):
                for line in chunk.splitlines():
                    tokens = words(line)
                    for i in range(len(tokens) - n + 1):
                        runs.setdefault(tuple(tokens[i:i + n]), name)
    return runs


def check_prompt_leak(ctx) -> Iterator[Failure]:
    """prompt_leak on every user and assistant text."""
    n = ctx.config.prompt_leak_words
    if not n:
        return
    runs = instruction_runs(n)
    for mi, message in enumerate(ctx.dialog.messages):
        if not isinstance(message, (UserMessage, AssistantMessage)) or not message.content:
            continue
        tokens = words(message.content)
        for i in range(len(tokens) - n + 1):
            source = runs.get(tuple(tokens[i:i + n]))
            if source:
                path = f"messages[{mi}].content"
                yield Failure(check="prompt_leak", path=path,
                              message=f"{path}: repeats the {source} prompt: \"{' '.join(tokens[i:i + n])}\"")
                break
