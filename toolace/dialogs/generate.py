"""``gen_dialogs``: exactly N canonical dialogs from an API library, through the shared runner.

The count is split over the kinds of the mix by largest remainder (every kind at least once when
the count allows), and each kind has its own endless deterministic job stream
(``dlg-{seed}-{kind}-{index}``, each job with its own random generator seeded from seed, kind and
index): the runner keeps every kind's quota exactly, starts slow kinds (multi-turn, dependent) as
early as fast ones, replaces a dropped dialog by the next job of its kind, and a re-run resumes
where it stopped. Every kept dialog is validated as a ``Dialog`` before it is written; every
dropped one goes to the rejected file with its reason and the dialog as far as it got. The stats
count made and dropped dialogs per kind; their mix, mean turns and tokens per kind are figures
recomputed from those counts.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError
from rich.console import Console

from toolace.dialogs import assistant_agent, tool_agent, user_agent
from toolace.config import DialogsConfig, settle
from toolace.dialogs.budget import budget_for
from toolace.dialogs.complexity import heuristic, learner_nll, parse_band
from toolace.dialogs.plan import Library, Plan, parse_mix, parse_turns
from toolace.dialogs.simulate import Dropped, Settings, Simulation
from toolace.errors import InputError, StructuredOutputError
from toolace.jobs import Job, Outcome, Rejection
from toolace.llm.base import LLMClient
from toolace.prompts import prompt_versions
from toolace.records import Api, Dialog
from toolace.run_stats import RunStats
from toolace.runner import rejected_path, run_jobs, stats_path
from toolace.strata import GIVEN_UP, Strata, allocate

log = logging.getLogger(__name__)
AGENT_PROMPTS = (user_agent.PROMPT, assistant_agent.PROMPT, tool_agent.PROMPT)  # each dialog's meta.prompts

TURNS, TOKENS = "user turns", "tokens of kept dialogs"  # counted per kind, for the mean turns and tokens

_CANNOT = {"dependent": "no result field of one API matches a parameter of another by name and type",
           "clarify": "no API has a required parameter", "irrelevance": "it needs at least two APIs",
           "multi_turn": "no kind it chains is possible", "single": "no APIs", "parallel": "no APIs",
           "non_tool": "no APIs"}


def effective_mix(mix: dict[str, float] | str | None, library: Library) -> tuple[dict[str, float], list[str]]:
    """The mix over the kinds this library can make, renormalised, and the kinds it cannot."""
    weights = parse_mix(mix)
    missing = [k for k, w in weights.items() if w > 0 and not library.feasible(k)]
    usable = {k: w for k, w in weights.items() if w > 0 and k not in missing}
    if not usable:
        raise InputError(f"the API library cannot make any kind of the mix ({', '.join(missing)})")
    total = sum(usable.values())
    return {k: w / total for k, w in usable.items()}, missing


def job_stream(seed: int, kind: str):
    """The endless jobs of one kind; a job's payload is ``(kind, index)``."""
    return (Job(f"dlg-{seed}-{kind}-{i:07d}", (kind, i)) for i in itertools.count())


def _tool_record(api: Api) -> dict[str, Any]:
    data = api.model_dump(mode="json", exclude={"meta"})
    if data.get("returns") is None:
        data.pop("returns", None)
    return data


def build_record(job: Job, plan: Plan, sim: Simulation, model: str, seed: int) -> Dialog:
    """The canonical dialog with its provenance; raises ``ValidationError`` if it is not canonical."""
    turns = sum(1 for m in sim.messages if m["role"] == "user")
    record = {
        "id": job.id, "kind": plan.kind, "tools": [_tool_record(a) for a in plan.tools], "messages": sim.messages,
        "meta": {"turns": turns, "today": plan.today, "plan": plan.summary(), "level": plan.level, "thoughts": sim.thoughts,
                 "dependencies": sim.dependencies, "tool_errors": sim.tool_errors,
                 **({"empty_results": sim.empty_results} if sim.empty_results else {}),
                 "consistency": {"k": sim.settings.consistency, "resampled": sim.resampled},
                 "prompts": prompt_versions(*AGENT_PROMPTS), "model": model, "seed": seed, "index": job.payload[1]},
    }
    if plan.kind == "irrelevance":
        record["meta"]["hidden_api"] = plan.steps[0].topic.name
    dialog = Dialog.model_validate(record)
    targets = [c.api for s in plan.steps for c in s.calls] + [s.topic for s in plan.steps if s.topic]
    dialog.meta["complexity"] = heuristic(dialog, list({a.name: a for a in targets}.values()), sim.dependencies)
    return dialog


def _tokens(sim: Simulation) -> dict[str, int]:
    u = sim.usage
    return {"prompt": u.prompt_tokens, "completion": u.completion_tokens, "cached": u.cached_tokens,
            "requests": u.requests}


async def make_dialog(llm: LLMClient, library: Library, job: Job, *, mix: dict[str, float], turns: tuple[int, int],
                      seed: int, settings: Settings, complexity_model: str | None = None,
                      complexity_band: tuple[float, float] | None = None) -> Outcome:
    """The stage: plan, simulate, check and score one dialog."""
    kind, index = job.payload
    rng = random.Random(f"{seed}:{kind}:{index}")
    plan = library.plan(rng, mix, turns, kind=kind)
    sim = Simulation(llm, plan, rng, settings)

    def drop(reason: str, message: str, detail: str | None = None, dialog: dict[str, Any] | None = None) -> Outcome:
        so_far = dialog or {"kind": plan.kind, "plan": plan.summary(), "messages": sim.messages}
        return Outcome(rejected=Rejection.of(reason, message[:500], detail=detail, record=so_far), usage=sim.usage)

    try:
        await sim.run()
    except Dropped as e:
        return drop(e.reason, str(e))
    except StructuredOutputError as e:
        sim.usage.add(e.usage)
        return drop(f"llm_{e.reason}", str(e), detail=e.last_text or "")
    try:
        dialog = build_record(job, plan, sim, getattr(llm, "model", "?"), seed)
    except ValidationError as e:
        return drop("not_canonical", str(e))
    if complexity_model:
        nll, usage = await learner_nll(llm, dialog, complexity_model)
        sim.usage.add(usage)
        dialog.meta["complexity"].update(learner_nll=nll, learner_model=complexity_model)
        if complexity_band and (nll is None or not complexity_band[0] <= nll <= complexity_band[1]):
            return drop("complexity_band", f"learner NLL {nll} outside {complexity_band}", dialog=dialog.to_dict())
    dialog.meta["tokens"] = tokens = _tokens(sim)
    return Outcome(kept=dialog.to_dict(), usage=sim.usage,
                   counters=Counter({TURNS: dialog.meta["turns"], TOKENS: tokens["prompt"] + tokens["completion"]}))


def dialog_figures(stats: RunStats, out: Path | None = None) -> dict[str, Any]:
    """gen-dialogs' own figures, from the per-kind counts: made, dropped by reason, mean turns, tokens
    of the kept dialogs, and the records of each given-up kind that moved to the others."""
    kinds = {kind: {"made": s.kept, "dropped": dict(s.reasons),
                    "mean_turns": round(s.counters[TURNS] / s.kept, 2) if s.kept else 0.0,
                    "tokens": s.counters[TOKENS]} for kind, s in sorted(stats.strata.items())}
    given_up = {kind: s.counters[GIVEN_UP] for kind, s in stats.strata.items() if s.counters[GIVEN_UP]}
    return {"kinds": kinds, "given_up": given_up}


def kind_rows(summary: dict[str, dict[str, Any]], quotas: dict[str, int] | None = None,
              given_up: dict[str, int] | None = None) -> list[tuple[str, str]]:
    """One row per kind for the end-of-run table (with its quota, and how much of it moved if given up)."""
    rows = []
    quotas, given_up = quotas or {}, given_up or {}
    for kind, row in summary.items():
        dropped = sum(row["dropped"].values())
        why = ", ".join(f"{r} {n}" for r, n in sorted(row["dropped"].items(), key=lambda x: -x[1]))
        made = f"made {row['made']}" + (f" of {quotas[kind]}" if kind in quotas else "")
        moved = f", given up: {given_up[kind]} moved to other kinds" if given_up.get(kind) else ""
        rows.append((f"  {kind}", f"{made}, dropped {dropped}{f' ({why})' if why else ''}, "
                                  f"mean turns {row['mean_turns']}, tokens {row['tokens']:,}{moved}"))
    return [("per kind", ""), *rows] if rows else []


def summary_rows(out: Path) -> list[tuple[str, str]]:
    """The per-kind rows of the end-of-run table, from the stats file of ``out`` (resumed runs included)."""
    saved = orjson.loads(stats_path(out).read_bytes())
    return kind_rows(saved["kinds"], saved.get("quotas"), saved.get("given_up"))


async def gen_dialogs(llm: LLMClient, apis: list[Api], *, out: Path, seed: int = 0, config: DialogsConfig | None = None,
                      shard: tuple[int, int] | None = None, rejected: Path | None = None,
                      empty_result_rate: float = Settings.empty_result_rate, console: Console | None = None,
                      **options: Any) -> RunStats:
    """Write exactly ``count`` dialogs to ``out`` (per shard), resuming an earlier run of the same command.

    The settings are ``DialogsConfig``'s: ``config`` (else the defaults) with ``options`` (``count=``,
    ``mix=``, ...) laid over it, validated as the CLI and the run config validate them.
    """
    config = settle(DialogsConfig, options, config)
    count, workers, tool_error_rate = config.count, config.workers, config.tool_error_rate
    mix, turns, consistency = config.mix, parse_turns(config.turns), config.consistency_on(embedded=False)
    complexity_model, complexity_band = config.complexity_model or None, parse_band(config.complexity_band)
    if complexity_model and not llm.supports_prompt_logprobs:
        raise InputError(f"--complexity-model needs prompt log-probabilities, which {type(llm).__name__} "
                         "cannot give (a vLLM endpoint can)")
    library = Library(apis)
    if not library.apis:
        raise InputError("no APIs to build dialogs from")
    weights, missing = effective_mix(mix, library)
    for kind in missing:
        log.warning("the API library cannot make %s dialogs (%s); the mix is spread over the other kinds",
                    kind, _CANNOT[kind])
    budget = budget_for(config.budget, await llm.context() if config.budget == "auto" else None)
    settings = Settings(consistency=consistency, tool_error_rate=tool_error_rate, empty_result_rate=empty_result_rate,
                        budget=budget)
    out = Path(out)
    rejected = Path(rejected) if rejected else rejected_path(out)

    async def stage(job: Job) -> Outcome:
        return await make_dialog(llm, library, job, mix=weights, turns=turns, seed=seed, settings=settings,
                                 complexity_model=complexity_model, complexity_band=complexity_band)

    quotas = allocate(count, weights)  # the mix exactly, every kind at least once when the count allows
    strata = Strata(quotas, {kind: job_stream(seed, kind) for kind in quotas}, key="kind")
    facts = {"quotas": quotas, "requested_mix": weights, "unavailable_kinds": missing, "apis": len(library.apis),
             "dependent_links": len(library.links), "budget": budget.name}
    return await run_jobs(strata, stage, out=out, rejected=rejected, stats_file=stats_path(out), name="gen-dialogs",
                          figures=dialog_figures, facts=facts, workers=workers, shard=shard, label="dialogs",
                          console=console)
