"""Where a run's jobs come from: the one interface the runner asks, and its plain implementations.

The runner never asks which kind of source it has. It keeps ``min(workers, room())`` jobs in flight,
starts ``next_job()`` until it gives None, reports each finished job (``finished``: was its record
surplus, and which jobs in flight are surplus now), and stops when the source is ``complete()`` or
nothing is left to run; a source that ends short says why (``shortfall``). ``JobList`` runs a finite
list once, ``JobStream`` an endless stream until a target is kept, ``Batches`` one batch after
another (grow-tree's levels); ``toolace.strata.Strata`` splits a target into per-kind quotas.
"""

from __future__ import annotations

import math
import sys
from abc import ABC, abstractmethod
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from toolace.jobs import Job
from toolace.jsonl import iter_jsonl
from toolace.run_stats import RunStats


class Finished(NamedTuple):
    """What a source makes of a finished job."""

    surplus: bool = False  # its kept record is not needed (the target or its quota was already met)
    cancel: tuple[str, ...] = ()  # ids of jobs in flight that are surplus now


class JobSource(ABC):
    """Jobs for the runner; see the module docstring. Subclasses give ``next_job`` at least."""

    total: int | None = None  # the progress bar's goal, when known
    skipped: int = 0  # jobs known done before the run that its output files do not show

    def __init__(self) -> None:
        self.wanted: Callable[[Job], bool] = lambda job: True
        self.done = 0  # jobs finished in this run
        self.held: Counter = Counter()  # kept records the output held before the run, per stratum

    def open(self, out: Path | None, wanted: Callable[[Job], bool]) -> None:
        """Before the run: ``wanted(job)`` is False for another shard's jobs and those done before;
        ``out`` is the kept file, for a source that counts what it already holds."""
        self.wanted = wanted

    def _take(self, jobs: Iterator[Job]) -> Job | None:
        return next((job for job in jobs if self.wanted(job)), None)

    @abstractmethod
    def next_job(self) -> Job | None:
        """The next job to start, or None when none should start now."""

    def room(self) -> int:
        """How many jobs are worth having in flight (the runner caps it at its workers)."""
        return sys.maxsize

    def finished(self, job: Job, kept: bool) -> Finished:
        """Count a finished job (``kept``: it made a record to keep)."""
        self.done += 1
        return Finished()

    def complete(self) -> bool:
        """Every record wanted is kept; jobs still running are surplus."""
        return False

    def shortfall(self) -> str | None:
        """Why the run ended before it was complete, when that is an error."""
        return None

    def progress(self, run: RunStats) -> int:
        """How far the progress bar is (``run``: this run's counts, ``skipped`` included)."""
        return run.skipped + self.done

    def close(self, run: RunStats) -> None:
        """After the run: add what only the source counted to the run's stats."""


class JobList(JobSource):
    """A finite list of jobs, each run once; a resumed run skips the done ones."""

    def __init__(self, jobs: Iterable[Job], total: int | None = None):
        super().__init__()
        self.jobs, self.total = iter(jobs), total

    def next_job(self) -> Job | None:
        return self._take(self.jobs)


def jobs_worth_running(need: int, kept: int, rejected: int) -> int:
    """Jobs worth running at once for ``need`` more records, at the keep rate seen so far.

    At least twice what is needed: a slow or rejected job then no longer holds up the end.
    """
    if need <= 0:
        return 0
    keep_rate = (kept + 1) / (kept + rejected + 1)
    return max(2 * need, math.ceil(need / keep_rate))


class JobStream(JobSource):
    """An endless, deterministic job stream run until exactly ``target`` records are kept.

    Rejected jobs are replaced by the next ones; near the end only the jobs still needed (at the keep
    rate seen so far) run, side by side. ``max_jobs`` stops a stage that rejects (almost) everything.
    """

    def __init__(self, jobs: Iterable[Job], target: int, max_jobs: int | None = None):
        super().__init__()
        self.jobs, self.target, self.total = iter(jobs), target, target
        self.max_jobs = max_jobs if max_jobs is not None else 20 * target + 200
        self.kept = self.kept_before = self.rejected = self.launched = 0

    def open(self, out: Path | None, wanted: Callable[[Job], bool]) -> None:
        super().open(out, wanted)
        if out is not None and Path(out).exists():
            self.kept = self.kept_before = sum(1 for _ in iter_jsonl(out))

    def next_job(self) -> Job | None:
        if self.launched >= self.max_jobs:
            return None
        job = self._take(self.jobs)
        self.launched += job is not None
        return job

    def room(self) -> int:
        return jobs_worth_running(self.target - self.kept, self.kept - self.kept_before, self.rejected)

    def finished(self, job: Job, kept: bool) -> Finished:
        super().finished(job, kept)
        if not kept:
            self.rejected += 1
            return Finished()
        if self.complete():
            return Finished(surplus=True)
        self.kept += 1
        return Finished()

    def complete(self) -> bool:
        return self.kept >= self.target

    def shortfall(self) -> str | None:
        return f"gave up after {self.launched} jobs with only {self.kept} of {self.target} kept"

    def progress(self, run: RunStats) -> int:
        return self.kept


class Batches(JobSource):
    """Batches of jobs, each asked for only once every job of the one before has finished (the nodes
    of grow-tree's next level exist only when this level's answers are in)."""

    def __init__(self, batches: Iterable[list[Job]]):
        super().__init__()
        self.batches, self.current, self.total = iter(batches), deque(), 0
        self.running = 0

    def next_job(self) -> Job | None:
        while True:
            while self.current:
                job = self.current.popleft()
                if self.wanted(job):
                    self.running += 1
                    return job
            if self.running:
                return None
            batch = next(self.batches, None)
            if batch is None:
                return None
            self.current = deque(batch)
            self.total += len(batch)

    def finished(self, job: Job, kept: bool) -> Finished:
        self.running -= 1
        return super().finished(job, kept)
