"""One machine-readable line per figure, which `benchmarks/run_all.py` collects into a table."""

from __future__ import annotations

import json


def result(name: str, value: float, unit: str, target: float | None = None, *, higher_is_better: bool = True,
           note: str = "") -> dict:
    """Print ``RESULT {...}`` for ``run_all.py`` and return the figure."""
    ok = None
    if target is not None:
        ok = value >= target if higher_is_better else value <= target
    figure = {"name": name, "value": round(value, 3), "unit": unit, "target": target,
              "target_op": ">=" if higher_is_better else "<=", "ok": ok, "note": note}
    print("RESULT " + json.dumps(figure), flush=True)
    return figure
