"""The summary tables of a run, built once and rendered both into the card (Markdown) and the page."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from toolace import __version__
from toolace.engine import EMBEDDED_MODEL_NAME
from toolace.report.collect import RunSummary


@dataclass
class Table:
    """A titled table of strings; ``missing`` says what to run when its data is not in the run."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    missing: str = ""


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def mean(counter: Counter) -> float:
    n = sum(counter.values())
    return sum(k * v for k, v in counter.items()) / n if n else 0.0


def share_at_least(counter: Counter, low: int) -> float:
    n = sum(counter.values())
    return sum(v for k, v in counter.items() if k >= low) / n if n else 0.0


def files(s: RunSummary) -> Table:
    table = Table("Files", ["file", "records"])
    counts = [("apis.jsonl", s.apis and s.apis.count), ("dialogs.jsonl", s.dialogs and s.dialogs.count),
              ("verified.jsonl", s.verified and s.verified.count)]
    counts += list(s.rejections.rows.items())
    for name, count in counts:
        table.rows.append([name, num(count) if count is not None else "missing"])
    if s.tree_nodes is not None:
        table.rows.append(["tree.json", f"{s.tree_nodes} nodes"])
    return table


def exports(s: RunSummary) -> Table:
    table = Table("Exported files", ["format", "file", "rows", "from", "skipped dialogs", "augmentation"],
                  missing="no export yet: run `toolace export` to write training files")
    for e in s.exports:
        skipped = ", ".join(f"{reason} {n}" for reason, n in e.skipped.most_common())
        augment = ", ".join(f"{k} {v}" for k, v in e.augment.items() if k != "seed" and v)
        table.rows.append([e.format, e.path, num(e.rows) if e.rows is not None else "? (install pyarrow)",
                           e.source or "?", f"{sum(e.skipped.values())} ({skipped})" if skipped else "0",
                           augment or "none"])
    return table


def stages(s: RunSummary) -> Table:
    table = Table("Stages", ["stage", "kept", "rejected", "requests", "prompt tokens", "cached",
                             "completion tokens", "time", "tokens per kept"],
                  missing="no *.stats.json in the run directory")
    for stage, d in s.stages.items():
        usage = d.get("usage") if isinstance(d.get("usage"), dict) else {}
        prompt, completion = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
        kept, elapsed = d.get("kept", 0), d.get("elapsed_s", 0)
        table.rows.append([stage, num(kept), num(d.get("rejected", 0)), num(usage.get("requests", 0)),
                           num(prompt), num(usage.get("cached_tokens", 0)), num(completion),
                           f"{elapsed:,.1f} s", num(round((prompt + completion) / kept)) if kept else "-"])
    return table


def kinds(s: RunSummary) -> Table:
    table = Table("Dialog kinds", ["kind", "generated", "verified", "share of final", "kept by verifier"],
                  missing="no dialogs.jsonl or verified.jsonl")
    final = s.final
    if final is None:
        return table
    generated = s.dialogs.kinds if s.dialogs else Counter()
    verified = s.verified.kinds if s.verified else Counter()
    for kind, _ in (generated + verified).most_common():
        table.rows.append([kind, num(generated[kind]) if s.dialogs else "-", num(verified[kind]) if s.verified else "-",
                           pct(final.kinds[kind], final.count),
                           pct(verified[kind], generated[kind]) if s.dialogs and s.verified else "-"])
    return table


def domains(s: RunSummary, top: int = 15) -> Table:
    table = Table(f"Top {top} domains", ["domain", "APIs", "share of APIs", "tools offered in final dialogs"],
                  missing="no apis.jsonl or dialogs")
    apis = s.apis.domains if s.apis else Counter()
    tools = s.final.tool_domains if s.final else Counter()
    ranking = apis if apis else tools
    for domain, _ in ranking.most_common(top):
        table.rows.append([domain, num(apis[domain]) if s.apis else "-",
                           pct(apis[domain], s.apis.count) if s.apis else "-", num(tools[domain]) if s.final else "-"])
    if len(ranking) > top:
        rest = set(ranking) - {row[0] for row in table.rows}
        table.rows.append([f"({len(rest)} more)", num(sum(apis[d] for d in rest)) if s.apis else "-",
                           pct(sum(apis[d] for d in rest), s.apis.count) if s.apis else "-",
                           num(sum(tools[d] for d in rest)) if s.final else "-"])
    return table


def api_shape(s: RunSummary) -> Table:
    table = Table("APIs", ["measure", "value"], missing="no apis.jsonl")
    a = s.apis
    if a is None:
        return table
    table.rows = [
        ["APIs", num(a.count)],
        ["top-level domains", num(len(a.domains))],
        ["parameters per API (mean / max)", f"{mean(a.params_per_api):.2f} / {max(a.params_per_api, default=0)}"],
        ["required parameters per API (mean)", f"{mean(a.required_per_api):.2f}"],
        ["APIs with an array of objects", f"{num(a.array_of_objects)} ({pct(a.array_of_objects, a.count)})"],
        ["APIs with an object parameter", f"{num(a.object_in_object)} ({pct(a.object_in_object, a.count)})"],
        ["APIs with any nesting", f"{num(a.nested)} ({pct(a.nested, a.count)})"],
        ["APIs with a returns schema", f"{num(a.with_returns)} ({pct(a.with_returns, a.count)})"],
    ]
    return table


def param_types(s: RunSummary) -> Table:
    table = Table("Parameter types (every depth)", ["type", "top-level", "nested", "share"], missing="no apis.jsonl")
    if s.apis is None:
        return table
    by_type = Counter()
    for (kind, _), n in s.apis.param_types.items():
        by_type[kind] += n
    total = sum(by_type.values())
    for kind, n in by_type.most_common():
        table.rows.append([kind, num(s.apis.param_types[kind, "top-level"]),
                           num(s.apis.param_types[kind, "nested"]), pct(n, total)])
    return table


def dialog_shape(s: RunSummary) -> Table:
    parts = [(name, d) for name, d in (("dialogs.jsonl", s.dialogs), ("verified.jsonl", s.verified)) if d]
    table = Table("Dialog shape", ["measure", *[name for name, _ in parts]], missing="no dialogs")

    def row(label: str, value) -> None:
        table.rows.append([label, *[value(d) for _, d in parts]])

    if not parts:
        return table
    row("dialogs", lambda d: num(d.count))
    row("user turns (mean / max)", lambda d: f"{mean(d.turns):.2f} / {max(d.turns, default=0)}")
    row("multi-turn (2+ user turns)", lambda d: pct(share_at_least(d.turns, 2), 1))
    row("tool calls per dialog (mean / max)", lambda d: f"{mean(d.calls):.2f} / {max(d.calls, default=0)}")
    row("dialogs without a call", lambda d: pct(d.calls.get(0, 0), d.count))
    row("dialogs with 2+ calls", lambda d: pct(share_at_least(d.calls, 2), 1))
    row("tools offered (mean)", lambda d: f"{mean(d.tools):.2f}")
    row("tokens recorded (meta.tokens)", lambda d: f"{num(d.tokens.count)} dialogs")
    return table


def verification(s: RunSummary) -> Table:
    r = s.rejections
    checked = (s.verified.count if s.verified else 0) + r.verify_rejected
    table = Table("Verification: rejected dialogs per failed check", ["check", "rejected dialogs", "share of checked"],
                  missing="no rejected.jsonl (verification not run, or nothing rejected)")
    if not r.verify_files:
        return table
    table.rows.append(["kept (verified.jsonl)", num(s.verified.count if s.verified else 0),
                       pct(s.verified.count if s.verified else 0, checked)])
    for check, n in (s.verified.warnings.most_common() if s.verified else []):  # kept, with a warning
        table.rows.append([f"  kept, warned: {check}", num(n), pct(n, checked)])
    table.rows.append([f"rejected ({', '.join(r.verify_files)})", num(r.verify_rejected), pct(r.verify_rejected, checked)])
    for check, n in r.checks.most_common():
        table.rows.append([f"  {check}", num(n), pct(n, checked)])
    for reason, n in r.verify_reasons.most_common():
        table.rows.append([f"  {reason} (no verdict)", num(n), pct(n, checked)])
    return table


def stage_rejections(s: RunSummary) -> Table:
    table = Table("Rejected by the generation stages", ["stage", "reason", "rows"],
                  missing="no *.rejected.jsonl in the run directory")
    for stage, reasons in s.rejections.stage_reasons.items():
        for reason, n in reasons.most_common():
            table.rows.append([stage, reason, num(n)])
    return table


def tokens(s: RunSummary) -> Table:
    table = Table("Tokens per kept sample", ["measure", "value"],
                  missing="no token counts (no *.stats.json, no meta.tokens in dialogs)")
    final = s.final
    total = sum(_stage_tokens(d) for d in s.stages.values())
    if total:
        table.rows.append(["engine tokens, all stages", num(total)])
        table.rows.append(["engine tokens of all stages per final dialog",
                           num(round(total / final.count)) if final and final.count else "- (no dialog kept)"])
    measured = s.measured_tokens()
    if measured:
        name, h = measured
        table.rows.append([f"engine tokens per {name} dialog (meta.tokens, mean)", num(round(h.mean))])
        table.rows.append([f"meta.tokens per {name} dialog: median / 90th percentile / max",
                           f"{num(h.quantile(0.5))} / {num(h.quantile(0.9))} / {num(h.high)}"])
    return table


def _stage_tokens(stats: dict[str, Any]) -> int:
    usage = stats.get("usage") if isinstance(stats.get("usage"), dict) else {}
    return int(usage.get("prompt_tokens", 0)) + int(usage.get("completion_tokens", 0))


def model_name(s: RunSummary) -> str:
    """The generating model: from the run config, else from the records' provenance."""
    configured = s.setting("engine", "model")
    if configured:
        return str(configured)
    if s.models:
        return ", ".join(m for m, _ in s.models.most_common(3))
    if s.config is not None:  # a config that leaves the model empty ran the bundled one
        return f"{EMBEDDED_MODEL_NAME} (bundled SmolLM2-135M-Instruct)"
    return "unknown"


SETTINGS = [("seed", ("seed",)), ("APIs requested", ("apis", "count")), ("dialogs requested", ("dialogs", "count")),
            ("dialog kind mix", ("dialogs", "mix")), ("user turns", ("dialogs", "turns")),
            ("self-consistency samples", ("dialogs", "consistency")),
            ("tool error rate", ("dialogs", "tool_error_rate")), ("rules only (no model judge)", ("verify", "rules_only")),
            ("export formats", ("export", "formats")), ("function masking", ("export", "mask_functions")),
            ("irrelevance augmentation", ("export", "irrelevance"))]


def settings(s: RunSummary) -> Table:
    table = Table("Generation settings", ["setting", "value"])
    table.rows.append(["model", model_name(s)])
    table.rows.append(["toolace version (report)", __version__])
    for label, keys in SETTINGS:
        value = s.setting(*keys)
        if value is not None and value != {}:
            table.rows.append([label, _show(value)])
    if s.config is None:
        table.rows.append(["run config", "missing (no config.json or config.toml in the run directory)"])
    return table


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def all_tables(s: RunSummary) -> list[Table]:
    return [files(s), exports(s), settings(s), stages(s), kinds(s), dialog_shape(s), domains(s), api_shape(s),
            param_types(s), verification(s), stage_rejections(s), tokens(s)]
