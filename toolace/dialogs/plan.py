"""Planning of one dialog before any LLM call: its kind, what each user turn should lead to, its tools.

The plan fixes the ground truth (which APIs are called, in which turn, which argument a dependent
call takes from which earlier result, which value a clarify request leaves out); the agents then
write the words and values. Candidate APIs are related (same domain subtree, or an output of one
named like an input of another); distractors are added by complexity level.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from dataclasses import dataclass, field

from toolace.apis.links import find_links, is_handle, leaf
from toolace.dialogs.complexity import content_words
from toolace.errors import InputError
from toolace.records import Api

KINDS = ("single", "parallel", "dependent", "non_tool", "irrelevance", "clarify", "multi_turn")
TURN_KINDS = ("single", "parallel", "dependent", "non_tool", "clarify")  # what a multi-turn dialog chains
CALL_KINDS = ("single", "parallel", "dependent", "clarify")
# Close to ToolACE's spread; ``non_tool`` includes irrelevance (IRRELEVANCE_SHARE of it) unless given.
DEFAULT_MIX = {"single": 0.30, "parallel": 0.20, "dependent": 0.15, "non_tool": 0.15, "clarify": 0.10,
               "multi_turn": 0.10}
IRRELEVANCE_SHARE = 0.10
LEVELS = {"low": (0, 1), "medium": (1, 3), "high": (3, 5)}  # distractors added to the candidates
LEVEL_WEIGHTS = (0.3, 0.4, 0.3)
MAX_TOOLS = 8
# The day a dialog happens on, drawn per dialog: "this Saturday" or "tomorrow" then has one meaning that
# the assistant, the tool simulator and the judge share, and the data teaches reading the date given.
FIRST_DAY, DAYS = date(2025, 1, 1), 3 * 365
def mix_weights(mix: str | dict[str, float] | None) -> dict[str, float]:
    """The kinds and weights given (``"single=0.4,parallel=0.2"`` or a mapping), checked; none: the default."""
    if not mix:
        return dict(DEFAULT_MIX)
    if isinstance(mix, str):
        pairs = [part.partition("=")[::2] for part in filter(None, (p.strip() for p in mix.split(",")))]
    else:
        pairs = list(mix.items())
    weights: dict[str, float] = {}
    for name, value in pairs:
        name = name.strip()
        if name not in KINDS:
            raise InputError(f"--mix: unknown kind {name!r}; kinds are {', '.join(KINDS)}")
        try:
            weights[name] = float(value)
        except (TypeError, ValueError):
            raise InputError(f"--mix: {name}={value} needs a number, like {name}=0.2") from None
        if weights[name] < 0:
            raise InputError(f"--mix: {name} must not be negative")
    if not sum(weights.values()) > 0:
        raise InputError("--mix: at least one kind needs a positive weight")
    return weights


def parse_mix(mix: str | dict[str, float] | None) -> dict[str, float]:
    """The mix (as ``mix_weights`` reads it) normalised, irrelevance split from non_tool unless given."""
    weights = mix_weights(mix)
    if "irrelevance" not in weights and weights.get("non_tool"):
        weights["irrelevance"] = weights["non_tool"] * IRRELEVANCE_SHARE
        weights["non_tool"] -= weights["irrelevance"]
    total = sum(weights.values())
    return {k: weights[k] / total for k in KINDS if weights.get(k, 0) > 0}


DEFAULT_TURNS = "2-3"


def parse_turns(text: str | None) -> tuple[int, int]:
    """``"2-4"`` -> (2, 4); ``"3"`` -> (3, 3): user turns of a multi-turn dialog (two or more, always)."""
    if not text:
        text = DEFAULT_TURNS
    try:
        low, _, high = text.partition("-")
        bounds = int(low), int(high or low)
    except ValueError:
        raise InputError(f"--turns must look like MIN-MAX (e.g. 2-4), not {text!r}") from None
    if not 2 <= bounds[0] <= bounds[1] <= 8:
        raise InputError(f"--turns {text}: need 2 <= MIN <= MAX <= 8 (a multi-turn dialog has 2+ user turns)")
    return bounds


@dataclass(frozen=True)
class Link:
    """A dependent call's argument taken from the result of an earlier call of the same turn."""

    producer: int  # index of the producing call in the step
    field: str  # property of the producer's result
    argument: str  # parameter of the consuming call


@dataclass(frozen=True)
class Call:
    api: Api
    link: Link | None = None


@dataclass
class Step:
    """One user turn and what it should lead to."""

    kind: str
    calls: list[Call] = field(default_factory=list)
    missing: str | None = None  # clarify: the required argument the first request leaves out
    topic: Api | None = None  # non_tool: what the talk is about; irrelevance: the API no tool can replace


@dataclass
class Plan:
    kind: str
    steps: list[Step]
    tools: list[Api]
    level: str
    persona: int
    today: str = ""  # ISO date the dialog happens on: its system message says it, relative dates resolve to it

    def summary(self) -> list[dict]:
        return [{"kind": s.kind, "apis": [c.api.name for c in s.calls],
                 **({"missing": s.missing} if s.missing else {}),
                 **({"topic": s.topic.name} if s.topic else {})} for s in self.steps]


class Library:
    """The API library with the indexes planning needs: domain subtrees and dependent pairs."""

    def __init__(self, apis: list[Api], links_per_field: int = 20):
        seen: set[str] = set()
        self.apis = [a for a in apis if not (a.name in seen or seen.add(a.name))]
        self.by_prefix: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for i, api in enumerate(self.apis):
            for depth in range(1, len(api.domain) + 1):
                self.by_prefix[tuple(api.domain[:depth])].append(i)
        self.with_params = [i for i, a in enumerate(self.apis) if a.properties]
        self.with_required = [i for i, a in enumerate(self.apis) if a.required]
        self._members = {id(self.with_params): set(self.with_params), id(self.with_required): set(self.with_required)}
        self.links = find_links([a.model_dump(include={'domain', 'parameters', 'returns'}) for a in self.apis],
                                links_per_field)
        # Links through an identifier (order_id, booking_reference) make the natural dependent requests
        # (find, then act on what was found); a shared "currency" or "status" makes odd ones.
        self.id_links = [link for link in self.links if is_handle(leaf(link.field))]

    def feasible(self, kind: str) -> bool:
        if kind == "dependent":
            return bool(self.links)
        if kind == "clarify":
            return bool(self.with_required)
        if kind == "irrelevance":
            return len(self.apis) >= 2
        if kind == "multi_turn":
            return any(self.feasible(k) for k in TURN_KINDS)
        return bool(self.apis)

    def pick(self, rng: random.Random, pool: list[int] | None = None, near: Api | None = None) -> Api:
        """A random API of ``pool``, from ``near``'s domain subtree most of the time when given."""
        pool = pool if pool else list(range(len(self.apis)))
        if near is not None and near.domain and rng.random() < 0.7:
            allowed = self._members.get(id(pool))
            for depth in range(len(near.domain), 0, -1):
                group = self.by_prefix.get(tuple(near.domain[:depth]), [])
                for _ in range(8):
                    i = rng.choice(group)
                    if self.apis[i].name != near.name and (allowed is None or i in allowed):
                        return self.apis[i]
        return self.apis[rng.choice(pool)]

    def related(self, rng: random.Random, api: Api, n: int, exclude: set[str]) -> list[Api]:
        """Up to ``n`` other APIs near ``api`` in the domain tree (then any), none named in ``exclude``."""
        out: list[Api] = []
        for _ in range(6 * n):
            if len(out) == n:
                break
            other = self.pick(rng, near=api)
            if other.name not in exclude:
                out.append(other)
                exclude = exclude | {other.name}
        return out

    def unrelated(self, rng: random.Random, api: Api, n: int) -> list[Api]:
        """``n`` APIs that cannot serve a request meant for ``api``: other domains, least similar words."""
        others = [a for a in (self.apis[rng.randrange(len(self.apis))] for _ in range(8 * n + 8))
                  if a.name != api.name]
        if api.domain:
            far = [a for a in others if a.domain[:1] != api.domain[:1]]
            others = far or others
        words = content_words(f"{api.name} {api.description}")
        ranked = sorted({a.name: a for a in others}.values(),
                        key=lambda a: len(words & content_words(f"{a.name} {a.description}")))
        return ranked[:n]

    def step(self, kind: str, rng: random.Random, level: str, near: Api | None = None) -> Step:
        """Plan one user turn of ``kind`` (its APIs near ``near`` when given)."""
        if kind == "parallel":
            api = self.pick(rng, self.with_params, near)
            n = 3 if level == "high" else 2
            if api.properties and rng.random() < 0.5:
                return Step(kind, [Call(api)] * n)  # the same API for several values
            others = self.related(rng, api, n - 1, {api.name})
            return Step(kind, [Call(a) for a in [api, *others]] + [Call(api)] * (n - 1 - len(others)))
        if kind == "dependent":
            p, fname, c, param = rng.choice(self.id_links or self.links)
            return Step(kind, [Call(self.apis[p]), Call(self.apis[c], Link(0, fname, param))])
        if kind == "clarify":
            api = self.pick(rng, self.with_required, near)
            return Step(kind, [Call(api)], missing=rng.choice(api.required))
        if kind == "non_tool":
            return Step(kind, topic=self.pick(rng, near=near))
        if kind == "irrelevance":
            return Step(kind, topic=self.pick(rng))
        return Step("single", [Call(self.pick(rng, self.with_params, near))])

    def plan(self, rng: random.Random, mix: dict[str, float], turns: tuple[int, int], kind: str | None = None) -> Plan:
        """Plan one dialog: its kind (drawn by ``mix`` unless given), steps, then candidates plus
        distractors in random order. A multi-turn dialog chains kinds weighted by ``mix``."""
        kind = kind or rng.choices(list(mix), weights=list(mix.values()))[0]
        level = rng.choices(list(LEVELS), weights=LEVEL_WEIGHTS)[0]
        if kind == "multi_turn":
            chain = {k: mix.get(k, 0.0) or 0.05 for k in TURN_KINDS if self.feasible(k)}
            first = {k: w for k, w in chain.items() if k in CALL_KINDS} or chain
            steps: list[Step] = []
            for turn in range(rng.randint(*turns)):
                options = chain if turn else first
                sub = rng.choices(list(options), weights=list(options.values()))[0]
                anchor = next((c.api for s in steps for c in s.calls), None)
                steps.append(self.step(sub, rng, level, near=anchor))
        else:
            steps = [self.step(kind, rng, level)]
        tools, persona = self._tools(rng, kind, steps, level), rng.randrange(1 << 16)
        today = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        return Plan(kind, steps, tools, level, persona, today.isoformat())

    def _tools(self, rng: random.Random, kind: str, steps: list[Step], level: str) -> list[Api]:
        if kind == "irrelevance":
            tools = self.unrelated(rng, steps[0].topic, rng.randint(2, 4))
        else:
            wanted = [c.api for s in steps for c in s.calls] + [s.topic for s in steps if s.topic]
            targets = list({a.name: a for a in wanted}.values())
            low, high = LEVELS[level]
            room = max(0, MAX_TOOLS - len(targets))
            count = min(rng.randint(low, high), room)
            near = self.related(rng, targets[0], (count + 1) // 2, {a.name for a in targets})
            taken = {a.name for a in targets + near}
            far = [a for a in (self.pick(rng) for _ in range(2 * count)) if not (a.name in taken or taken.add(a.name))]
            tools = targets + near + far[:count - len(near)]
        rng.shuffle(tools)
        return tools
