"""What a stage works on and what it gives back: ``Job`` in, ``Outcome`` out, ``Rejection`` for a drop.

A stage is ``async (Job) -> Outcome`` (or a list of outcomes when one job makes several records, as
one grow-tree answer proposes several children). The runner does the rest: it counts every outcome
in the run's stats and writes kept records to the output and rejected ones to the rejected file, all
rejected records in one shape (``Rejection.to_record``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from toolace.llm.base import Usage

DETAIL_CHARS = 500


@dataclass
class Job:
    """One unit of work: a stable id (for resume and sharding) and whatever the stage needs."""

    id: str
    payload: Any = None
    stratum: str | None = None  # set by a ``Strata`` job source: the quota the job counts toward


@dataclass
class Rejection:
    """Why a record was dropped: its reason, every failed check with its message, and what was made.

    ``reason`` is one stable name (the first failed check, or the drop's cause) and is what the
    stats count; ``failures`` lists every check that failed as ``{"check", "message", "path"?}``;
    ``detail`` holds longer text that explains it (a raw reply, an error); ``record`` is the dropped
    item as far as it was made (the API, the dialog so far, the proposed child); ``context`` keeps the
    stage's facts about it (the dialog kind, the input line, the API it duplicates). ``id`` is set
    only when one job drops several records, to tell them apart.
    """

    reason: str
    failures: list[dict[str, Any]] = field(default_factory=list)
    detail: str | None = None
    record: Any = None
    context: dict[str, Any] = field(default_factory=dict)
    id: str | None = None

    @classmethod
    def of(cls, reason: str, message: str, **fields: Any) -> Rejection:
        """A drop for one reason, which is also its one failed check."""
        return cls(reason, [{"check": reason, "message": message}], **fields)

    @classmethod
    def checks(cls, failures: list[Any], **fields: Any) -> Rejection:
        """A drop for failed checks (``records.Failure`` or their dicts); the first names the reason."""
        found = [f if isinstance(f, dict) else f.to_dict() for f in failures]
        return cls(found[0]["check"], found, **fields)

    def to_record(self, job_id: str, stage: str) -> dict[str, Any]:
        """The one shape of a rejected record, in every stage's rejected file::

            {"id": ..., "stage": "gen-dialogs", "reason": "inconsistent",
             "failures": [{"check": "inconsistent", "message": "...", "path": "..."}],
             "detail": "..." | null, "record": {...} | null, "context": {...}}
        """
        failures = self.failures or [{"check": self.reason, "message": self.reason}]
        detail = self.detail[:DETAIL_CHARS] if isinstance(self.detail, str) else self.detail
        return {"id": self.id or job_id, "stage": stage, "reason": self.reason, "failures": failures,
                "detail": detail, "record": self.record, "context": self.context}


@dataclass
class Outcome:
    """What a stage made of one job: a kept record, a rejected one, or (neither) only what it spent."""

    kept: Any = None
    rejected: Rejection | None = None
    usage: Usage = field(default_factory=Usage)
    counters: Counter = field(default_factory=Counter)

    @property
    def reason(self) -> str | None:
        return self.rejected.reason if self.rejected is not None else None
