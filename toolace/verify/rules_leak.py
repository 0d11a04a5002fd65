"""prompt_leak: a user or assistant text that repeats toolace's own agent instructions.

Such a turn teaches the learner to talk about prompts; see ``toolace.dialogs.leak`` for the sign.
"""

from __future__ import annotations

from collections.abc import Iterator

from toolace.dialogs.leak import leaked
from toolace.records import AssistantMessage, Failure, UserMessage


def check_prompt_leak(ctx) -> Iterator[Failure]:
    """prompt_leak on every user and assistant text."""
    for mi, message in enumerate(ctx.dialog.messages):
        if isinstance(message, (UserMessage, AssistantMessage)) and message.content:
            found = leaked(message.content, ctx.config.prompt_leak_words)
            if found:
                path = f"messages[{mi}].content"
                yield Failure(check="prompt_leak", path=path,
                              message=f"{path}: repeats the {found[0]} prompt: \"{found[1]}\"")
