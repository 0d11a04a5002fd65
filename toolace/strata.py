"""Target runs split into strata: per-stratum quotas, job streams and the live state the runner keeps.

A dialog run of N is N dialogs *in the mix*: each kind (stratum) gets its quota by largest
remainder, has its own endless job stream, and is started when it is least advanced against its
quota, so slow kinds run from the start instead of losing the race to fast ones.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from toolace.jsonl import field_at, iter_jsonl

if TYPE_CHECKING:
    from toolace.runner import Job, Outcome

log = logging.getLogger(__name__)


@dataclass
class Strata:
    """A target run split into strata, each with a quota of kept records and an endless job stream.

    ``key`` is the field of a kept record naming its stratum (to count a resumed output). A stratum
    whose jobs keep being rejected (``give_up`` rejections per kept record) is given up: its unmet
    quota moves to the other strata, so the run still ends with the whole target.
    """

    quotas: dict[str, int]
    streams: dict[str, Iterable[Job]]
    key: str = "kind"
    give_up: int = 20
    given_up: dict[str, int] = field(default_factory=dict)  # filled by the run: stratum -> records moved

    def __post_init__(self) -> None:
        self.quotas = {name: n for name, n in self.quotas.items() if n > 0}
        if not self.quotas or set(self.quotas) - set(self.streams):
            raise ValueError("every stratum with a quota needs a job stream")


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


def jobs_worth_running(need: int, kept: int, rejected: int) -> int:
    """Jobs worth running at once for ``need`` more records, at the keep rate seen so far.

    At least twice what is needed: a slow or rejected job then no longer holds up the end.
    """
    if need <= 0:
        return 0
    keep_rate = (kept + 1) / (kept + rejected + 1)
    return max(2 * need, math.ceil(need / keep_rate))


class StrataState:
    """The live state of a ``Strata`` run: kept, rejected and jobs in flight per stratum."""

    def __init__(self, strata: Strata, out: Path):
        self.strata = strata
        self.quotas = dict(strata.quotas)
        self.iters = {name: iter(strata.streams[name]) for name in self.quotas}
        self.kept: Counter = Counter()
        if out.exists():
            for _, record in iter_jsonl(out):
                self.kept[str(field_at(record, strata.key))] += 1
        self.resumed = Counter(self.kept)
        self.rejected: Counter = Counter()
        self.running: dict[asyncio.Task, str] = {}
        self.flying: Counter = Counter()  # jobs in flight per stratum
        self.closed: set[str] = set()  # streams that ran dry and strata given up

    def need(self, name: str) -> int:
        return max(0, self.quotas[name] - self.kept[name])

    def in_flight(self, name: str) -> int:
        return self.flying[name]

    def start(self, task: asyncio.Task, name: str) -> None:
        self.running[task] = name
        self.flying[name] += 1

    def stop(self, task: asyncio.Task) -> str:
        name = self.running.pop(task)
        self.flying[name] -= 1
        return name

    def room(self, name: str) -> int:
        if name in self.closed:
            return 0
        return jobs_worth_running(self.need(name), self.kept[name] - self.resumed[name], self.rejected[name])

    def order(self) -> list[str]:
        """Strata with room for another job, least advanced against their quota first."""
        open_ = [n for n in self.quotas if self.in_flight(n) < self.room(n)]
        return sorted(open_, key=lambda n: ((self.kept[n] + self.in_flight(n)) / self.quotas[n], n))

    def all_exhausted(self) -> bool:
        return all(n in self.closed or not self.need(n) for n in self.quotas)

    def finished(self, task: asyncio.Task, outcome: Outcome) -> bool:
        """Count a finished job; True when its stratum was already full (its record is surplus)."""
        name = self.stop(task)
        if outcome.kept is None:
            self.rejected[name] += 1
            return False
        if not self.need(name):
            return True
        self.kept[name] += 1
        return False

    def settle(self, name: str) -> list[asyncio.Task]:
        """After a job of ``name``: the tasks to cancel, because the stratum is full or given up.

        A stratum is given up once it has ``give_up`` rejections per record kept (plus one), i.e. when
        fewer than one job in ``give_up + 1`` of it succeeds; its unmet part moves to the strata still
        open, in proportion to their quotas.
        """
        kept_now = self.kept[name] - self.resumed[name]
        if self.need(name) and name not in self.closed and self.rejected[name] >= self.strata.give_up * (kept_now + 1):
            others = {n: self.quotas[n] for n in self.quotas if n != name and n not in self.closed}
            if others:
                moved = allocate(self.need(name), others, at_least_one=False)
                log.warning("%s: %d rejected for %d kept; its %d missing records go to %s", name,
                            self.rejected[name], self.kept[name], self.need(name),
                            ", ".join(f"{n} +{k}" for n, k in moved.items() if k))
                self.strata.given_up[name] = self.need(name)
                for n, k in moved.items():
                    self.quotas[n] += k
                self.quotas[name] = self.kept[name]
                self.closed.add(name)
        if self.need(name):
            return []
        # Tasks already done are in the runner's batch at hand; their records count as surplus there.
        surplus = [task for task, s in self.running.items() if s == name and not task.done()]
        for task in surplus:
            self.stop(task)
        return surplus
