"""The one runner every stage uses: concurrency, resume, progress, stats and file writing.

A stage is ``async (Job) -> Outcome`` (``toolace.jobs``); a ``JobSource`` (``toolace.job_sources``)
says which jobs to run and when the run is complete. The runner keeps ``workers`` jobs in flight,
writes kept records to the output file and rejected ones, in the one shape of
``Rejection.to_record``, to the rejected file, both append-only, and skips jobs whose id is already
in either file, so re-running the same command after a kill resumes where it stopped.

It owns the run's stats: every outcome is counted in one place (``Recorder``), and the stats file
holds this run's counts added to those of the earlier runs on the same output, with the stage's
figures recomputed from the sum. A run stopped by an error or Ctrl-C still saves its counts; the
records of one killed outright (``kill -9``) are counted by the next run from the files, its tokens
are lost (``count_unsaved``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from toolace.errors import EngineError, InputError, StructuredOutputError, ToolaceError
from toolace.job_sources import JobSource
from toolace.jobs import Job, Outcome, Rejection
from toolace.jsonl import JsonlWriter, field_at, iter_jsonl
from toolace.llm.base import Usage, job_usage
from toolace.run_stats import Figures, RunStats, save_stats

log = logging.getLogger(__name__)

Stage = Callable[[Job], Awaitable["Outcome | list[Outcome]"]]
ENGINE_FAILURES = "engine failures (retried on re-run)"
SURPLUS = "surplus (dropped)"  # records made after their target was met: their tokens are counted, they are not
UNSAVED = "records of runs killed before saving stats (their tokens not counted)"


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


def done_ids(path: Path | None, key: str = "id", reasons: Counter | None = None) -> set[str]:
    """Ids present in an output file (kept or rejected); ``reasons`` counts the rejected records' reasons."""
    ids: set[str] = set()
    if path is not None and Path(path).exists():
        for lineno, obj in iter_jsonl(path):
            value = field_at(obj, key)
            if value is None:
                raise InputError(f"{path}:{lineno}: record has no {key!r} field; "
                                 "is this the output file of another command?")
            ids.add(str(value))
            if reasons is not None:
                reasons[str(obj.get("reason"))] += 1
    return ids


def count_unsaved(earlier: RunStats, kept: int, reasons: Counter, held: Counter) -> None:
    """Add to the earlier runs' counts the records they wrote but never counted, because a run was killed
    before it saved its stats: ``kept`` records and rejected ones by reason in the files, kept ones per
    stratum in ``held``. Their requests and tokens are lost; a counter says how many records that concerns."""
    missing = max(0, kept - earlier.kept) + sum(max(0, n - earlier.reasons[r]) for r, n in reasons.items())
    earlier.kept = max(earlier.kept, kept)
    for reason, n in reasons.items():
        earlier.rejected += max(0, n - earlier.reasons[reason])
        earlier.reasons[reason] = max(earlier.reasons[reason], n)
    for name, n in held.items():
        earlier.stratum(name).kept = max(earlier.stratum(name).kept, n)
    if missing:
        earlier.counters[UNSAVED] += missing


class _RateColumn(TextColumn):
    def __init__(self) -> None:
        super().__init__("")

    def render(self, task):  # items/s and tokens/s, the two figures a user watches
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed else 0.0
        tokens = task.fields.get("tokens", 0) / elapsed if elapsed else 0.0
        return f"{rate:6.2f}/s {tokens:7.0f} tok/s"


class Recorder:
    """The one place outcomes are counted and written: kept records to ``kept``, rejected ones in the
    one shape to ``rejected``, counts to ``stats``. Stages that write their own files (export, import)
    use it too."""

    def __init__(self, stage: str, stats: RunStats, kept: Any = None, rejected: Any = None):
        self.stage, self.stats, self.kept, self.rejected = stage, stats, kept, rejected

    def record(self, job_id: str, outcome: Outcome, stratum: str | None = None) -> None:
        self.stats.add_outcome(outcome, stratum)
        if outcome.kept is not None and self.kept is not None:
            self.kept.write(outcome.kept)
        elif outcome.rejected is not None and self.rejected is not None:
            self.rejected.write(outcome.rejected.to_record(job_id, self.stage))

    def failed(self, job: Job, reason: str, usage: Usage) -> None:
        """Count a job that failed on the engine; it is written nowhere, so a re-run tries it again."""
        self.stats.add_outcome(Outcome(rejected=Rejection(reason), usage=usage,
                                       counters=Counter({ENGINE_FAILURES: 1})), job.stratum)


async def run_jobs(
    source: JobSource,
    stage: Stage,
    *,
    out: Path | None,
    rejected: Path | None = None,
    stats_file: Path | None = None,
    name: str = "run",
    figures: Figures | None = None,
    facts: dict[str, Any] | None = None,
    workers: int = 8,
    shard: tuple[int, int] | None = None,
    label: str | None = None,
    console: Console | None = None,
    fail_fast_after: int = 20,
    id_key: str = "id",
) -> RunStats:
    """Run ``stage`` over the jobs of ``source`` with ``workers`` in flight; see the module docstring.

    ``out`` is None for a stage that keeps its records itself (grow-tree, in its tree) and resumes
    by its own marks. ``id_key`` says where a kept record holds its job id (dotted for nested fields,
    e.g. ``meta.job_id`` for APIs, which have no ``id``). ``name`` is the stage's name in its stats
    file and rejected records; ``figures`` adds the stage's figures (computed from the counts) and
    ``facts`` its settings to the stats file. Returns the counts of this run and the earlier ones.
    """
    out, rejected = Path(out) if out else None, Path(rejected) if rejected else None
    kept_ids, reasons = (done_ids(out, key=id_key), Counter()) if out else (set(), Counter())
    already = kept_ids | done_ids(rejected, reasons=reasons) if out else set()
    run = RunStats(runs=1, facts=dict(facts or {}), skipped=len(already))
    source.open(out, lambda job: (shard is None or shard_of(job.id, shard[1]) == shard[0]) and job.id not in already)
    earlier = None
    if stats_file is not None and (out is None or out.exists()):
        earlier = RunStats.load(stats_file) or RunStats()
        count_unsaved(earlier, len(kept_ids), reasons, source.held)
    started = time.perf_counter()
    kept_writer = JsonlWriter(out) if out else None
    recorder = Recorder(name, run, kept_writer, JsonlWriter(rejected) if rejected else None)
    console = console or Console(stderr=True)
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        _RateColumn(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                        console=console, transient=False)
    failures_in_a_row = 0
    errors_seen: set[str] = set()

    async def guarded(job: Job) -> tuple[Job, list[Outcome] | BaseException]:
        spent = Usage()
        job_usage.set(spent)  # this task's own context: the client adds every request of the job here
        try:
            made = await stage(job)
            outcomes = [made] if isinstance(made, Outcome) else list(made) or [Outcome()]
            if spent.requests or spent.failures or spent.retries:
                # What the client saw is the whole truth, including calls the stage caught and dropped.
                for n, outcome in enumerate(outcomes):
                    outcome.usage = spent if n == 0 else Usage()
            return job, outcomes
        except (EngineError, StructuredOutputError) as e:
            e.job_usage = spent
            return job, e
        except asyncio.CancelledError:
            run.usage.add(spent)  # a surplus job cancelled at the target still spent tokens and met faults
            raise

    def engine_failure(job: Job, error: BaseException) -> None:
        nonlocal failures_in_a_row
        failures_in_a_row += 1
        reason = getattr(error, "reason", None)
        usage = getattr(error, "job_usage", None) or Usage()
        recorder.failed(job, f"llm_{reason}" if reason else "engine_error", usage)
        text = str(error)
        first_line = text.splitlines()[0] if text else type(error).__name__
        shape = re.sub(r"\d+", "N", first_line)  # times, ports and counts aside
        if shape not in errors_seen and len(errors_seen) < 5:
            errors_seen.add(shape)  # say what it was, once per kind of message
            log.warning("job %s failed on the engine: %s", job.id, first_line[:500])
        if failures_in_a_row >= fail_fast_after and run.kept == 0 and not kept_ids:
            raise EngineError(f"{failures_in_a_row} jobs in a row failed on the engine, none succeeded; last: {text}")

    running: dict[str, asyncio.Task] = {}
    finished: set[asyncio.Task] = set()
    try:
        with progress:
            bar = progress.add_task(label or name, total=source.total, completed=source.progress(run), tokens=0)
            while True:
                while len(running) < min(workers, source.room()) and (job := source.next_job()) is not None:
                    running[job.id] = asyncio.create_task(guarded(job))
                if source.complete() or not running:
                    break  # jobs still running past the target are cancelled below: their work is surplus
                finished, _ = await asyncio.wait(running.values(), return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    job, result = task.result()
                    running.pop(job.id, None)
                    if isinstance(result, BaseException):
                        engine_failure(job, result)
                        said = source.finished(job, kept=False)
                    else:
                        failures_in_a_row = 0
                        said = source.finished(job, kept=any(o.kept is not None for o in result))
                        for outcome in result:
                            if said.surplus and outcome.kept is not None:
                                run.add_outcome(Outcome(usage=outcome.usage, counters=Counter({SURPLUS: 1})),
                                                job.stratum)
                            else:
                                recorder.record(job.id, outcome, job.stratum)
                    surplus = [running.pop(i) for i in said.cancel if i in running]
                    for extra in surplus:  # its stratum is full: its other jobs are surplus
                        extra.cancel()
                    await asyncio.gather(*surplus, return_exceptions=True)
                    progress.update(bar, total=source.total, completed=source.progress(run),
                                    tokens=run.usage.total_tokens)
            if not source.complete() and (short := source.shortfall()):
                raise ToolaceError(f"{short}; rejections: {dict(run.reasons.most_common(3))} (see {rejected or out})")
    finally:
        for task in finished:  # an error that stops the run (AuthError) may have come back from several jobs
            if task.done() and not task.cancelled():
                task.exception()
        for task in running.values():
            task.cancel()
        if running:  # let cancelled jobs unwind (and count what they spent) before returning
            await asyncio.gather(*running.values(), return_exceptions=True)
        for writer in (kept_writer, recorder.rejected):
            if writer is not None:
                writer.close()
        run.elapsed = time.perf_counter() - started
        run.skipped = len(already) + source.skipped
        source.close(run)
        total = run if earlier is None else earlier + run
        total.skipped, total.facts = run.skipped, run.facts
        if stats_file is not None:
            save_stats(stats_file, total, name, figures, out)
    return total


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
    """Where a stage's stats go: ``apis.jsonl`` -> ``apis.stats.json``, ``tree.json`` -> ``tree.stats.json``."""
    out = Path(out)
    return out.with_name(out.stem + ".stats.json")


def rejected_path(out: Path) -> Path:
    """Default rejected file beside an output: ``apis.jsonl`` -> ``apis.rejected.jsonl``."""
    out = Path(out)
    return out.with_name(out.stem + ".rejected.jsonl")
