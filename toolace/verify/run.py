"""The verify stage: rules, then (optionally) execution, then the judge, on every input dialog.

``verify_dialogs`` is the library entry point (``toolace verify`` and ``toolace run`` call it): it
checks all input lines first, so a malformed line stops the run with ``FILE:LINE`` before anything
is written, then runs the stage through the shared runner (resumable by dialog id).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from toolace.config import VerifyConfig
from toolace.errors import InputError
from toolace.job_sources import JobList
from toolace.jobs import Job, Outcome, Rejection
from toolace.jsonl import iter_jsonl
from toolace.llm.base import LLMClient
from toolace.options import settle
from toolace.records import Verdict
from toolace.run_stats import RunStats
from toolace.runner import rejected_path, run_jobs, stats_path
from toolace.verify.config import RuleConfig
from toolace.verify.execution import ToolExecutor, execution_failures
from toolace.verify.judge import DialogJudge, judge_prompts
from toolace.verify.rules import rule_verdict
from toolace.verify.sample import load_sample, malformed


@dataclass
class Verifier:
    """Everything one sample's verification needs; ``check`` is the runner's stage."""

    config: RuleConfig
    judge: DialogJudge | None = None
    executor: ToolExecutor | None = None
    provenance: dict[str, Any] | None = None

    async def check(self, job: Job) -> Outcome:
        sample = load_sample(job.payload)
        failures, warnings = rule_verdict(sample.dialog, self.config)
        failures = sample.failures + failures
        layer, outcome = "rules", Outcome()
        if not failures and self.executor is not None:
            layer = "execution"
            found, counters = await execution_failures(sample.dialog, self.executor)
            failures += found
            outcome.counters.update(counters)
        if not failures and self.judge is not None:
            layer = "model"
            judgement = await self.judge.judge(sample.dialog)
            failures += judgement.failures
            outcome.usage.add(judgement.usage)
            outcome.counters.update(judgement.counters)
        verdict = Verdict(passed=not failures, layer=layer, failures=failures, warnings=warnings)
        record = {**sample.raw, "verdict": verdict.to_dict()}
        if self.provenance and layer != "rules":
            record["meta"] = {**(record.get("meta") if isinstance(record.get("meta"), dict) else {}),
                              "verify": self.provenance}
        outcome.counters.update(f"check:{f.check}" for f in failures)
        outcome.counters.update(f"warning:{f.check}" for f in warnings)
        if warnings:
            outcome.counters["dialogs with warnings"] += 1
        if verdict.passed:
            outcome.kept = record
        else:  # rejected by the layer that found it wrong, with every failure and the dialog as judged
            outcome.rejected = Rejection(layer, [f.to_dict() for f in failures], record=record)
        return outcome


def scan_inputs(paths: list[Path]) -> int:
    """Check every line of every input before anything runs; returns the number of dialogs."""
    count = 0
    for path in paths:
        for lineno, obj in iter_jsonl(path):
            problem = malformed(obj)
            if problem:
                raise InputError(f"{path}:{lineno}: {problem}")
            count += 1
    return count


def dialog_jobs(paths: list[Path]) -> Iterator[Job]:
    for path in paths:
        for _, obj in iter_jsonl(path):
            yield Job(obj["id"], obj)


async def verify_dialogs(
    inputs: list[Path],
    *,
    out: Path,
    rejected: Path | None = None,
    llm: LLMClient | None = None,
    config: VerifyConfig | None = None,
    shard: tuple[int, int] | None = None,
    console: Console | None = None,
    **options: Any,
) -> RunStats:
    """Verify dialog files into ``out`` (passed) and ``rejected``; no ``llm`` (or ``rules_only``) means rules only.

    The settings are ``VerifyConfig``'s: ``config`` (else the defaults) with ``options`` (``workers=``,
    ``exec_tools=``, ...) laid over it, validated as the CLI and the run config validate them.
    """
    settings = settle(VerifyConfig, options, config)
    workers, exec_timeout = settings.workers, settings.exec_timeout
    exec_tools = Path(settings.exec_tools) if settings.exec_tools else None
    llm = None if settings.rules_only else llm
    inputs = [Path(p) for p in inputs]
    out = Path(out)
    rejected = Path(rejected) if rejected else rejected_path(out)
    config = settings.rule_config()
    total = scan_inputs(inputs)
    verifier = Verifier(config)
    if llm is not None:
        verifier.judge = DialogJudge(llm, concurrency=workers, config=config)
        verifier.provenance = {"judge_model": llm.model, "prompts": judge_prompts()}
    try:
        if exec_tools is not None:
            verifier.executor = ToolExecutor(exec_tools, timeout=exec_timeout)
            verifier.executor.start()
            verifier.provenance = {**(verifier.provenance or {}), "exec_tools": str(exec_tools)}
        # Rule-only samples never wait on I/O, so extra workers only add scheduling overhead.
        return await run_jobs(JobList(dialog_jobs(inputs), total), verifier.check, out=out, rejected=rejected,
                              stats_file=stats_path(out), name="verify", figures=verify_figures,
                              facts={"input": total}, workers=workers if (llm or exec_tools) else min(workers, 4),
                              shard=shard, label="verifying", console=console)
    finally:
        if verifier.executor is not None:
            verifier.executor.close()


def verify_figures(stats: RunStats, out: Path | None = None) -> dict[str, Any]:
    """verify's own figures, from the counts: failures per check id, judge calls asked and saved."""
    counters = stats.counters
    return {
        "failures_by_check": _by_check(counters, "check:"),
        "warnings_by_check": _by_check(counters, "warning:"),
        "dialogs_with_warnings": counters.get("dialogs with warnings", 0),
        "judge_calls": counters.get("judge_calls", 0),
        "judge_calls_saved": counters.get("judge_saved", 0),
        "executed_calls": counters.get("exec_calls", 0),
    }


def _by_check(counters, prefix: str) -> dict[str, int]:
    return dict(Counter({k.removeprefix(prefix): v for k, v in counters.items() if k.startswith(prefix)}).most_common())


def summary_rows(stats: RunStats) -> list[tuple[str, Any]]:
    """Extra rows for the end-of-run table."""
    figures = verify_figures(stats)
    rows: list[tuple[str, Any]] = [("input dialogs", stats.facts.get("input", 0)), ("failures by check", "")]
    rows += [(f"  {check}", n) for check, n in figures["failures_by_check"].items()]
    if figures["warnings_by_check"]:
        rows.append(("dialogs with warnings", f"{figures['dialogs_with_warnings']} (kept unless --strict)"))
        rows += [(f"  {check}", n) for check, n in figures["warnings_by_check"].items()]
    rows.append(("judge calls", f"{figures['judge_calls']} ({figures['judge_calls_saved']} saved by the pre-pass)"))
    if figures["executed_calls"] or stats.counters.get("exec_not_defined"):
        rows.append(("executed calls", f"{figures['executed_calls']} "
                                       f"({stats.counters.get('exec_not_defined', 0)} not defined in the tools file)"))
    return rows
