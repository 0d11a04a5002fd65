"""A stage's stats: counts that add up (``a + b``) across resumed runs and shards, and their file.

``RunStats`` holds counts only: records kept and rejected (by reason), the stage's own counters, the
engine's requests and tokens, seconds, the number of runs added up, and the same per stratum (dialog
kind). Everything else in a stats file is either a *figure* recomputed from those counts whenever the
file is written (the mix of kinds is the share of each kind's kept count; a stage adds its own with a
``figures`` function) or a *fact* of the run (its settings, the size of its input), which a resumed
run replaces and ``toolace merge`` keeps when the shards agree. Nothing derived is ever added up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import orjson

from toolace.jobs import Outcome
from toolace.jsonl import write_json_atomic
from toolace.llm.base import Usage

# A stage's own figures, from the counts (and the output file, for figures of what it holds).
Figures = Callable[["RunStats", "Path | None"], dict[str, Any]]
COUNT_KEYS = ("runs", "kept", "rejected", "reasons", "counters", "usage", "elapsed_s", "strata")


@dataclass
class RunStats:
    """Counts of one or more runs of a stage; see the module docstring."""

    kept: int = 0
    rejected: int = 0
    reasons: Counter = field(default_factory=Counter)
    counters: Counter = field(default_factory=Counter)
    usage: Usage = field(default_factory=Usage)
    elapsed: float = 0.0
    runs: int = 0
    strata: dict[str, RunStats] = field(default_factory=dict)
    skipped: int = 0  # jobs this run found done by an earlier one: a fact of one run, never added
    facts: dict[str, Any] = field(default_factory=dict)  # the latest run's settings and input sizes

    def stratum(self, name: str) -> RunStats:
        return self.strata.setdefault(name, RunStats())

    def add_outcome(self, outcome: Outcome, stratum: str | None = None) -> None:
        """Count one outcome: kept, rejected by reason, or neither (only what it spent)."""
        self.usage.add(outcome.usage)
        self.counters.update(outcome.counters)
        if outcome.kept is not None:
            self.kept += 1
        elif outcome.rejected is not None:
            self.rejected += 1
            self.reasons[outcome.rejected.reason] += 1
        if stratum is not None:
            self.stratum(stratum).add_outcome(outcome)

    def add(self, other: RunStats) -> None:
        """Add ``other``'s counts to these (``skipped`` and ``facts`` are one run's and stay)."""
        self.kept += other.kept
        self.rejected += other.rejected
        self.reasons.update(other.reasons)
        self.counters.update(other.counters)
        self.usage.add(other.usage)
        self.elapsed += other.elapsed
        self.runs += other.runs
        for name, sub in other.strata.items():
            self.stratum(name).add(sub)

    def __add__(self, other: RunStats) -> RunStats:
        total = RunStats()
        total.add(self)
        total.add(other)
        return total

    def mix(self) -> dict[str, float]:
        """Each stratum's share of the kept records, from the counts."""
        kept = sum(s.kept for s in self.strata.values())
        return {name: round(s.kept / kept, 4) if kept else 0.0 for name, s in sorted(self.strata.items())}

    def to_dict(self) -> dict[str, Any]:
        """The counts, and (with strata) each stratum's counts and the mix recomputed from them."""
        data = {"runs": self.runs, "kept": self.kept, "rejected": self.rejected, "reasons": dict(self.reasons),
                "counters": dict(self.counters), "usage": self.usage.to_dict(), "elapsed_s": round(self.elapsed, 3)}
        if self.strata:
            data["strata"] = {name: s.to_dict() for name, s in sorted(self.strata.items())}
            data["mix"] = self.mix()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunStats:
        """The counts back from a stats file (figures and facts are left out: they are not counts)."""
        usage = Usage(**{k: v for k, v in (data.get("usage") or {}).items()
                         if k in {f.name for f in fields(Usage)}})
        return cls(kept=data.get("kept", 0), rejected=data.get("rejected", 0),
                   reasons=Counter(data.get("reasons") or {}), counters=Counter(data.get("counters") or {}),
                   usage=usage, elapsed=data.get("elapsed_s", 0.0), runs=data.get("runs", 1),
                   strata={name: cls.from_dict(sub) for name, sub in (data.get("strata") or {}).items()})

    @classmethod
    def load(cls, path: Path) -> RunStats | None:
        """The counts of a stats file, or None when there is none (or it is not a stats file)."""
        path = Path(path)
        if not path.is_file():
            return None
        try:
            data = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            return None
        return cls.from_dict(data) if isinstance(data, dict) else None


def stats_record(stats: RunStats, stage: str, figures: Figures | None = None,
                 out: Path | None = None) -> dict[str, Any]:
    """A stats file's content: the stage, the counts, the figures recomputed from them, the run's facts."""
    return {"stage": stage, **stats.to_dict(), **(figures(stats, out) if figures else {}),
            "skipped": stats.skipped, **stats.facts}


def save_stats(path: Path, stats: RunStats, stage: str, figures: Figures | None = None,
               out: Path | None = None) -> None:
    """Write a stage's stats file (atomically); see ``stats_record``."""
    write_json_atomic(Path(path), stats_record(stats, stage, figures, out))
