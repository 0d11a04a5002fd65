"""A target split into strata: per-stratum quotas, each with its own job stream (a ``JobSource``).

A dialog run of N is N dialogs *in the mix*: each kind (stratum) gets its quota by largest
remainder, has its own endless job stream, and is started when it is least advanced against its
quota, so slow kinds run from the start instead of losing the race to fast ones; when a stratum is
full, its jobs still in flight are surplus and cancelled.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from toolace.job_sources import Finished, JobSource, jobs_worth_running
from toolace.jobs import Job
from toolace.jsonl import field_at, iter_jsonl
from toolace.run_stats import RunStats

log = logging.getLogger(__name__)


def allocate(count: int, weights: dict[str, float], at_least_one: bool = True) -> dict[str, int]:
    """Split ``count`` over ``weights`` by largest remainder (exact total, each within 1 of its share).

    With ``at_least_one``, every weighted stratum gets at least one when ``count`` allows it, taken
    from the largest quotas, so that a small run still shows every stratum.
    """
    total = sum(w for w in weights.values() if w > 0)
    if count < 0 or total <= 0:
        raise ValueError("need a non-negative count and a positive weight")
    shares = {name: count * w / total for name, w in weights.items() if w > 0}
    quotas = {name: math.floor(share) for name, share in shares.items()}
    by_remainder = sorted(shares, key=lambda name: (quotas[name] - shares[name], name))
    for name in by_remainder[:count - sum(quotas.values())]:
        quotas[name] += 1
    if at_least_one and count >= len(quotas):
        for name in [n for n, q in quotas.items() if q == 0]:
            donors = [n for n in quotas if quotas[n] > 1]  # the one furthest above its share gives one
            quotas[max(donors, key=lambda n: (quotas[n] - shares[n], quotas[n]))] -= 1
            quotas[name] = 1
    return quotas


class Strata(JobSource):
    """A target run split into strata, each with a quota of kept records and an endless job stream.

    ``key`` is the field of a kept record naming its stratum (to count a resumed output). A stratum
    whose jobs keep being rejected (``give_up`` rejections per kept record) is given up: its unmet
    quota moves to the other strata, so the run still ends with the whole target.
    """

    def __init__(self, quotas: dict[str, int], streams: dict[str, Iterable[Job]], key: str = "kind",
                 give_up: int = 20):
        super().__init__()
        self.quotas = {name: n for name, n in quotas.items() if n > 0}
        if not self.quotas or set(self.quotas) - set(streams):
            raise ValueError("every stratum with a quota needs a job stream")
        self.key, self.give_up, self.total = key, give_up, sum(self.quotas.values())
        self.iters = {name: iter(streams[name]) for name in self.quotas}
        self.kept: Counter = Counter()
        self.resumed: Counter = Counter()
        self.rejected: Counter = Counter()
        self.running: dict[str, str] = {}  # job id -> stratum, for the jobs in flight
        self.flying: Counter = Counter()  # jobs in flight per stratum
        self.closed: set[str] = set()  # streams that ran dry and strata given up
        self.given_up: dict[str, int] = {}  # stratum -> records moved to the others

    def open(self, out: Path | None, wanted: Callable[[Job], bool]) -> None:
        super().open(out, wanted)
        if out is not None and Path(out).exists():
            for _, record in iter_jsonl(out):
                self.kept[str(field_at(record, self.key))] += 1
        self.resumed = self.held = Counter(self.kept)

    def need(self, name: str) -> int:
        return max(0, self.quotas[name] - self.kept[name])

    def _room(self, name: str) -> int:
        if name in self.closed:
            return 0
        return jobs_worth_running(self.need(name), self.kept[name] - self.resumed[name], self.rejected[name])

    def room(self) -> int:
        return sum(self._room(name) for name in self.quotas)

    def order(self) -> list[str]:
        """Strata with room for another job, least advanced against their quota first."""
        open_ = [n for n in self.quotas if self.flying[n] < self._room(n)]
        return sorted(open_, key=lambda n: ((self.kept[n] + self.flying[n]) / self.quotas[n], n))

    def next_job(self) -> Job | None:
        for name in self.order():
            job = self._take(self.iters[name])
            if job is not None:
                job.stratum = name
                self.running[job.id] = name
                self.flying[name] += 1
                return job
            self.closed.add(name)  # a finite stream ran dry
        return None

    def _stop(self, job_id: str) -> None:
        name = self.running.pop(job_id, None)
        if name is not None:
            self.flying[name] -= 1

    def finished(self, job: Job, kept: bool) -> Finished:
        """Count a finished job; its record is surplus when its stratum was already full."""
        super().finished(job, kept)
        name = job.stratum
        self._stop(job.id)
        if not kept:
            self.rejected[name] += 1
        elif not self.need(name):
            return Finished(surplus=True)
        else:
            self.kept[name] += 1
        return Finished(cancel=self._settle(name))

    def _settle(self, name: str) -> tuple[str, ...]:
        """After a job of ``name``: the jobs to cancel, because the stratum is full or given up.

        A stratum is given up once it has ``give_up`` rejections per record kept (plus one), i.e. when
        fewer than one job in ``give_up + 1`` of it succeeds; its unmet part moves to the strata still
        open, in proportion to their quotas.
        """
        kept_now = self.kept[name] - self.resumed[name]
        if self.need(name) and name not in self.closed and self.rejected[name] >= self.give_up * (kept_now + 1):
            others = {n: self.quotas[n] for n in self.quotas if n != name and n not in self.closed}
            if others:
                moved = allocate(self.need(name), others, at_least_one=False)
                log.warning("%s: %d rejected for %d kept; its %d missing records go to %s", name,
                            self.rejected[name], self.kept[name], self.need(name),
                            ", ".join(f"{n} +{k}" for n, k in moved.items() if k))
                self.given_up[name] = self.need(name)
                for n, k in moved.items():
                    self.quotas[n] += k
                self.quotas[name] = self.kept[name]
                self.closed.add(name)
        if self.need(name):
            return ()
        # Jobs done but not yet reported are in the runner's batch at hand; their records are surplus there.
        surplus = tuple(job_id for job_id, s in self.running.items() if s == name)
        for job_id in surplus:
            self._stop(job_id)
        return surplus

    def complete(self) -> bool:
        return not any(self.need(name) for name in self.quotas)

    def shortfall(self) -> str | None:
        return f"no jobs left with {sum(self.kept.values())} of {self.total} kept"

    def progress(self, run: RunStats) -> int:
        return sum(self.kept.values())

    def close(self, run: RunStats) -> None:
        for name, moved in self.given_up.items():
            run.stratum(name).counters[GIVEN_UP] += moved


GIVEN_UP = "quota given up (records moved to other strata)"
