"""The one runner every stage uses: concurrency, resume, progress, counters and file writing.

A stage is a function ``async (job) -> Outcome`` that processes one job. The runner keeps
``workers`` jobs in flight, writes kept records to the output file and rejected ones (with their
reasons) to the rejected file, both append-only, and skips jobs whose id is already in either
file, so re-running the same command after a kill resumes where it stopped.

With a ``target``, jobs are drawn from an endless, deterministic job stream until exactly
``target`` records are kept (rejected jobs are replaced); without one, every job is processed once.
With ``Strata`` the target is split into quotas (dialog kinds, say), each with its own job stream:
the runner starts jobs of the stratum least advanced against its quota, so that slow strata run
from the start instead of losing the race to fast ones, and keeps exactly each quota.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from toolace.errors import EngineError, InputError, StructuredOutputError, ToolaceError
from toolace.jsonl import JsonlWriter, field_at, iter_jsonl
from toolace.llm.base import Usage, job_usage
from toolace.strata import Strata, StrataState, jobs_worth_running

log = logging.getLogger(__name__)


@dataclass
class Job:
    """One unit of work: a stable id (for resume and sharding) and whatever the stage needs."""

    id: str
    payload: Any = None
    stratum: str | None = None  # set by the runner in a ``Strata`` run


@dataclass
class Outcome:
    """What a stage made of one job: a kept record, or a rejected one with its reason."""

    kept: Any = None
    rejected: Any = None
    reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    counters: Counter = field(default_factory=Counter)


@dataclass
class RunStats:
    """Counters of one run; they add up across resumed runs and shards."""

    kept: int = 0
    rejected: int = 0
    skipped: int = 0  # already done in an earlier run
    reasons: Counter = field(default_factory=Counter)
    counters: Counter = field(default_factory=Counter)
    usage: Usage = field(default_factory=Usage)
    elapsed: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"kept": self.kept, "rejected": self.rejected, "skipped": self.skipped,
                "reasons": dict(self.reasons), "counters": dict(self.counters),
                "usage": self.usage.to_dict(), "elapsed_s": round(self.elapsed, 3)}


def shard_of(job_id: str, shards: int) -> int:
    """Deterministic shard of an id (stable across machines and Python runs)."""
    return int.from_bytes(hashlib.blake2b(job_id.encode(), digest_size=8).digest(), "big") % shards


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"I/N"`` -> (I, N) with 0 <= I < N; None stays None."""
    if not text:
        return None
    try:
        index, count = (int(x) for x in text.split("/"))
    except ValueError:
        raise InputError(f"--shard must look like I/N (e.g. 0/4), not {text!r}") from None
    if not (count >= 1 and 0 <= index < count):
        raise InputError(f"--shard {text}: need 0 <= I < N")
    return index, count


def done_ids(*paths: Path | None, key: str = "id") -> set[str]:
    """Ids present in any of the given output files (kept or rejected)."""
    ids: set[str] = set()
    for path in paths:
        if path is not None and Path(path).exists():
            for lineno, obj in iter_jsonl(path):
                value = field_at(obj, key)
                if value is None:
                    raise InputError(f"{path}:{lineno}: record has no {key!r} field; "
                                     "is this the output file of another command?")
                ids.add(str(value))
    return ids


def write_json_atomic(path: Path, data: Any) -> None:
    """Write a whole JSON file via a temporary file and rename, so it is never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    os.replace(tmp, path)


class _RateColumn(TextColumn):
    def __init__(self) -> None:
        super().__init__("")

    def render(self, task):  # items/s and tokens/s, the two figures a user watches
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed else 0.0
        tokens = task.fields.get("tokens", 0) / elapsed if elapsed else 0.0
        return f"{rate:6.2f}/s {tokens:7.0f} tok/s"


async def run_jobs(
    jobs: Iterable[Job],
    stage: Callable[[Job], Awaitable[Outcome]],
    *,
    out: Path,
    rejected: Path | None = None,
    workers: int = 8,
    target: int | None = None,
    total: int | None = None,
    shard: tuple[int, int] | None = None,
    label: str = "working",
    console: Console | None = None,
    fail_fast_after: int = 20,
    max_jobs: int | None = None,
    id_key: str = "id",
    strata: Strata | None = None,
) -> RunStats:
    """Run ``stage`` over ``jobs`` with ``workers`` in flight; see the module docstring.

    ``id_key`` says where a kept record holds its job id (dotted for nested fields, e.g.
    ``meta.job_id`` for APIs, which have no ``id``); rejected records always carry ``id``.
    With ``strata``, ``jobs`` is not used and ``target`` is the sum of the quotas.
    """
    out, rejected = Path(out), Path(rejected) if rejected else None
    stats = RunStats()
    already = done_ids(out, key=id_key) | done_ids(rejected)
    plan = StrataState(strata, out) if strata else None
    if plan:
        target = sum(plan.quotas.values())
        jobs = ()
    if target is not None:
        stats.kept = sum(1 for _ in iter_jsonl(out)) if out.exists() else 0
        stats.skipped = stats.kept
    started = time.perf_counter()
    kept_writer = JsonlWriter(out)
    rejected_writer = JsonlWriter(rejected) if rejected else None
    goal = target if target is not None else total
    console = console or Console(stderr=True)
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        _RateColumn(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                        console=console, transient=False)
    engine_failures_in_a_row = 0
    engine_errors_seen: set[str] = set()
    launched = 0
    if target is not None and max_jobs is None:
        max_jobs = 20 * target + 200  # a stage that rejects (almost) everything must not spin forever
    job_iter: Iterator[Job] = iter(jobs)

    kept_before = stats.kept

    def room() -> int:
        """How many jobs may be in flight: all workers, unless only a few more records are needed.

        Near the end of a target run, the jobs still needed (at the keep rate seen so far) run
        side by side instead of one after another; surplus records are dropped, never written.
        """
        if target is None:
            return workers
        if plan:
            return min(workers, sum(plan.room(name) for name in plan.quotas))
        return min(workers, jobs_worth_running(target - stats.kept, stats.kept - kept_before, stats.rejected))

    def next_job() -> Job | None:
        if plan:
            for name in plan.order():
                for job in plan.iters[name]:
                    if (shard is None or shard_of(job.id, shard[1]) == shard[0]) and job.id not in already:
                        job.stratum = name
                        return job
                plan.closed.add(name)  # a finite stream ran dry
            return None
        for job in job_iter:
            if shard is not None and shard_of(job.id, shard[1]) != shard[0]:
                continue
            if job.id in already:
                if target is None:
                    stats.skipped += 1
                    progress.advance(task_id)
                continue
            return job
        return None

    async def guarded(job: Job) -> tuple[Job, Outcome | BaseException]:
        spent = Usage()
        job_usage.set(spent)  # this task's own context: the client adds every request of the job here
        try:
            outcome = await stage(job)
            if spent.requests or spent.failures or spent.retries:
                # What the client saw is the whole truth, including calls the stage caught and dropped.
                outcome.usage = spent
            return job, outcome
        except (EngineError, StructuredOutputError) as e:
            e.job_usage = spent
            return job, e
        except asyncio.CancelledError:
            stats.usage.add(spent)  # a surplus job cancelled at the target still spent tokens and met faults
            raise

    with progress:
        task_id = progress.add_task(label, total=goal, completed=stats.kept if target else 0, tokens=0)
        in_flight: set[asyncio.Task] = set()
        finished: set[asyncio.Task] = set()
        exhausted = False
        try:
            while True:
                while not exhausted and len(in_flight) < room():
                    job = next_job()
                    if job is None:
                        exhausted = not plan or plan.all_exhausted()
                        break
                    if max_jobs is not None and launched >= max_jobs:
                        if not in_flight:
                            raise ToolaceError(
                                f"gave up after {launched} jobs with only {stats.kept} of {target} kept; "
                                f"rejections: {dict(stats.reasons.most_common(3))} (see {rejected or out})")
                        break
                    launched += 1
                    task = asyncio.create_task(guarded(job))
                    in_flight.add(task)
                    if plan:
                        plan.start(task, job.stratum)
                if not in_flight or (target is not None and stats.kept >= target):
                    if plan and stats.kept < target:
                        raise ToolaceError(f"no jobs left with {stats.kept} of {target} kept; "
                                           f"rejections: {dict(stats.reasons.most_common(3))}")
                    break  # jobs still running past the target are cancelled below: their work is surplus
                finished, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    job, outcome = task.result()
                    if isinstance(outcome, BaseException):
                        engine_failures_in_a_row += 1
                        reason = getattr(outcome, "reason", None)
                        reason = f"llm_{reason}" if reason else "engine_error"
                        usage = getattr(outcome, "job_usage", None) or Usage()
                        error = str(outcome)
                        # Not written to the rejected file: the job did not fail on its merits, so a
                        # re-run of the same command tries it again.
                        outcome = Outcome(reason=reason, usage=usage)
                        stats.counters["engine failures (retried on re-run)"] += 1
                        first_line = error.splitlines()[0] if error else type(outcome).__name__
                        shape = re.sub(r"\d+", "N", first_line)  # times, ports and counts aside
                        if shape not in engine_errors_seen and len(engine_errors_seen) < 5:
                            engine_errors_seen.add(shape)  # say what it was, once per kind of message
                            log.warning("job %s failed on the engine: %s", job.id, first_line[:500])
                        if engine_failures_in_a_row >= fail_fast_after and stats.kept == 0:
                            raise EngineError(f"{engine_failures_in_a_row} jobs in a row failed on the "
                                              f"engine, none succeeded; last: {error}")
                    else:
                        engine_failures_in_a_row = 0
                    full = plan.finished(task, outcome) if plan else target is not None and stats.kept >= target
                    if full and outcome.kept is not None:
                        stats.counters["surplus (dropped)"] += 1
                        continue
                    _record(outcome, stats, kept_writer, rejected_writer)
                    if plan and (surplus := plan.settle(job.stratum)):
                        in_flight.difference_update(surplus)
                        for extra in surplus:  # the stratum is full: its other jobs are surplus
                            extra.cancel()
                        await asyncio.gather(*surplus, return_exceptions=True)
                    progress.update(task_id, completed=(stats.kept if target else stats.kept + stats.rejected
                                                        + stats.skipped), tokens=stats.usage.total_tokens)
        finally:
            for task in finished:  # an error that stops the run (AuthError) may have come back from several jobs
                if task.done() and not task.cancelled():
                    task.exception()
            for task in in_flight:
                task.cancel()
            if in_flight:  # let cancelled jobs unwind (and count what they spent) before returning
                await asyncio.gather(*in_flight, return_exceptions=True)
            kept_writer.close()
            if rejected_writer:
                rejected_writer.close()
            stats.elapsed = time.perf_counter() - started
    return stats


def _record(outcome: Outcome, stats: RunStats, kept_writer: JsonlWriter, rejected_writer: JsonlWriter | None) -> None:
    stats.usage.add(outcome.usage)
    stats.counters.update(outcome.counters)
    if outcome.kept is not None:
        kept_writer.write(outcome.kept)
        stats.kept += 1
    else:
        stats.rejected += 1
        stats.reasons[outcome.reason or "rejected"] += 1
        if rejected_writer is not None and outcome.rejected is not None:
            rejected_writer.write(outcome.rejected)


def summary_table(title: str, stats: RunStats, extra_rows: Iterable[tuple[str, Any]] = ()) -> Table:
    """The end-of-run table every stage prints: kept, rejected by reason, tokens, speed."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("kept", str(stats.kept))
    if stats.skipped:
        table.add_row("already done (resumed)", str(stats.skipped))
    table.add_row("rejected", str(stats.rejected))
    for reason, n in stats.reasons.most_common():
        table.add_row(f"  {reason}", str(n))
    for name, value in extra_rows:
        table.add_row(name, str(value))
    u = stats.usage
    abandoned = f", {u.abandoned} abandoned as surplus" if u.abandoned else ""
    table.add_row("requests", f"{u.requests} ({u.retries} retries, {u.reasks} re-asks{abandoned})")
    for reason, n in sorted(u.failures.items()):
        table.add_row(f"  engine/format failure: {reason}", str(n))
    reasoning = f" ({u.reasoning_tokens:,} of them reasoning)" if u.reasoning_tokens else ""
    table.add_row("tokens", f"{u.prompt_tokens:,} prompt ({u.cached_tokens:,} cached), "
                            f"{u.completion_tokens:,} completion{reasoning}")
    if stats.elapsed:
        done = stats.kept + stats.rejected
        table.add_row("time", f"{stats.elapsed:.1f} s ({done / stats.elapsed:.2f} items/s, "
                              f"{u.completion_tokens / stats.elapsed:.0f} completion tok/s)")
    return table


def stats_path(out: Path) -> Path:
    """Where a stage's counters go: ``apis.jsonl`` -> ``apis.stats.json``."""
    out = Path(out)
    return out.with_name(out.name.removesuffix(".jsonl") + ".stats.json")


def rejected_path(out: Path) -> Path:
    """Default rejected file beside an output: ``apis.jsonl`` -> ``apis.rejected.jsonl``."""
    out = Path(out)
    return out.with_name(out.name.removesuffix(".jsonl") + ".rejected.jsonl")
