"""The rule layer: every deterministic check of DESIGN §1.4, run in full on one dialog.

Each rule is a function ``rule(ctx) -> Iterator[Failure]`` that may emit several check ids; all of
them run on every sample (never first-failure-only), so a rejected record lists every problem.
``CHECKS`` is the registry of the stable ids with what each one means.

A sample is rejected for what makes *it* wrong. A flaw in a tool's declaration that the sample does
not depend on (any flaw of a tool it never calls; a blemish of one it calls, see
``toolace.apis.checks``) is a *warning* (``ctx.warnings``), kept in the verdict and counted;
``RuleConfig.strict`` turns warnings into failures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cached_property

from toolace.jsonpaths import strings
from toolace.records import Api, AssistantMessage, Dialog, Failure, ToolMessage
from toolace.verify.config import RuleConfig
from toolace.verify.rules_calls import CompiledApi, check_calls, compiled_api
from toolace.verify.rules_consistency import check_results, check_roles, check_system
from toolace.verify.rules_dialog import check_characters, check_fields, check_replies, script_words
from toolace.verify.rules_leak import check_prompt_leak

CHECKS: dict[str, str] = {
    # API definition clarity (toolace.apis.checks)
    "invalid_schema": "parameters or returns are not a valid JSON Schema of an object",
    "missing_description": "the API or one of its parameters has no description",
    "bad_name": "a function or parameter name breaks the name pattern, or two tools share a name",
    "missing_returns": "the API has no returns schema (only with require_returns)",
    # call executability
    "unknown_function": "a call names a function that is not in the tool list",
    "unknown_argument": "a call passes an argument (or nested key) the schema does not define",
    "missing_required": "a required argument (or nested key) is missing",
    "wrong_type": "a value has the wrong JSON type (true is not an integer, null is not a string)",
    "enum_violation": "a value is not one of the allowed values",
    "pattern_mismatch": "a string does not match its pattern",
    "out_of_range": "a number, length or item count is outside its bounds",
    "bad_format": "a string is not a valid date, date-time, email, uri, ... as its format says",
    # dialog correctness
    "missing_field": "a required field is missing, malformed or blank",
    "reply_too_long": "an assistant text is longer than max_reply_chars",
    "invalid_characters": "control characters, U+FFFD or unpaired surrogates in a text",
    "mixed_language": "an assistant reply mixes scripts beyond the tolerance",
    "incomplete_reply": "an assistant reply is empty or cut off",
    "prompt_leak": "a user or assistant text repeats toolace's agent instructions (prompt_leak_words in a row)",
    # sample consistency
    "role_order": "turns in an impossible order (not opened by the user, not closed by the assistant, ...)",
    "unanswered_call": "a call has no result (or shares its id with another call)",
    "orphan_result": "a tool result answers no call of the turn before it",
    "result_name_mismatch": "a tool result's name differs from its call's function",
    "system_format_conflict": "a misplaced system prompt, or turns that break its call format",
}


class RuleContext:
    """One dialog under check, with the lookups several rules share."""

    def __init__(self, dialog: Dialog, config: RuleConfig):
        self.dialog = dialog
        self.config = config
        self.tools: dict[str, Api] = {}
        for api in dialog.tools:
            self.tools.setdefault(api.name, api)
        self._compiled: dict[int, CompiledApi] = {}
        self.warnings: list[Failure] = []
        self.called = {call.name for call in dialog.calls()}

    def compiled(self, api: Api) -> CompiledApi:
        found = self._compiled.get(id(api))
        if found is None:
            found = self._compiled[id(api)] = compiled_api(api, self.config)
        return found

    def context_words(self) -> tuple[set[str], str]:
        return self._context_words

    @cached_property
    def _context_words(self) -> tuple[set[str], str]:
        """What the assistant may quote (user and system text, tool names, arguments, results):
        its words, and the whole text for CJK, which has no spaces to split words on."""
        texts = []
        for message in self.dialog.messages:
            if isinstance(message, ToolMessage):
                texts += [text for _, text in strings(message.content, "")]
            elif isinstance(message, AssistantMessage):
                texts += [text for call in message.tool_calls for _, text in strings(call.arguments, "")]
            elif isinstance(message.content, str):
                texts.append(message.content)
        for api in self.dialog.tools:
            texts += [api.name, *api.properties]
        text = " ".join(texts)
        return script_words(text), text


def check_api_definitions(ctx: RuleContext) -> Iterator[Failure]:
    """invalid_schema, missing_description, bad_name, missing_returns of every tool in the list:
    failures for the tools the dialog calls, warnings for blemishes and for tools it never calls."""
    seen: set[str] = set()
    for index, api in enumerate(ctx.dialog.tools):
        base = f"tools[{index}]"
        called = api.name in ctx.called
        for finding in ctx.compiled(api).findings:
            failure = finding.failure
            if (failure.check == "missing_description" and failure.path != "description"
                    and not ctx.config.require_parameter_descriptions):
                continue
            path = f"{base}.{failure.path}" if failure.path else base
            found = Failure(check=failure.check, path=path, message=f"{api.name}: {path}: {failure.message}")
            if called and not finding.blemish:
                yield found
            else:
                ctx.warnings.append(found)
        if api.name in seen:
            found = Failure(check="bad_name", path=f"{base}.name", message=f"{base}: two tools are named {api.name!r}")
            if called:
                yield found
            else:
                ctx.warnings.append(found)
        seen.add(api.name)


Rule = Callable[[RuleContext], Iterator[Failure]]
RULES: tuple[Rule, ...] = (check_api_definitions, check_calls, check_fields, check_characters, check_replies,
                           check_prompt_leak, check_roles, check_results, check_system)

DEFAULT_CONFIG = RuleConfig()


def check_rules(dialog: Dialog, config: RuleConfig = DEFAULT_CONFIG) -> list[Failure]:
    """Every rule failure of one dialog (empty when it passes the rule layer)."""
    return rule_verdict(dialog, config)[0]


def rule_verdict(dialog: Dialog, config: RuleConfig = DEFAULT_CONFIG) -> tuple[list[Failure], list[Failure]]:
    """``(failures, warnings)`` of one dialog; with ``config.strict`` every warning is a failure."""
    ctx = RuleContext(dialog, config)
    failures = [failure for rule in RULES for failure in rule(ctx)]
    if config.strict:
        return failures + ctx.warnings, []
    return failures, ctx.warnings
