"""One rich table for the whole run, and the same results as JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from benchmarks.model import Quantity, Result, Verdict

_STYLES = {Verdict.PASS: "green", Verdict.FAIL: "bold red", Verdict.ERROR: "bold red", Verdict.SKIPPED: "yellow"}


def number(value: float) -> str:
    if value >= 1_000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if value < 1 else f"{value:.2f}"


def quantity(q: Quantity | None) -> str:
    if q is None:
        return ""
    return f"{number(q.value)}{q.unit}" if q.unit == "x" else f"{number(q.value)} {q.unit}"


def render(console: Console, machine: dict[str, str], results: Sequence[Result]) -> None:
    for key, value in machine.items():
        console.print(f"[bold]{key}[/bold]: {escape(value)}", highlight=False)
    table = Table(box=box.SIMPLE_HEAVY, show_lines=False)
    for column in ("figure", "value", "limit", "ratio", "target", "verdict"):
        table.add_column(column, justify="right" if column in {"value", "ratio"} else "left")
    previous = None
    for result in results:
        if previous is not None and result.figure != previous:
            table.add_section()
        previous = result.figure
        limit = ""
        if result.limit is not None:
            limit = f"{quantity(result.limit.quantity)}\n[dim]{escape(result.limit.how)}[/dim]"
        ratio = "" if result.ratio is None else f"{number(result.ratio)}x"
        target = "" if result.target is None or result.value is None else result.target.describe(result.value.unit)
        verdict = result.verdict
        style = _STYLES.get(verdict, "")
        verdict_text = f"[{style}]{verdict.value}[/{style}]" if style else verdict.value
        table.add_row(escape(result.label), quantity(result.value), limit, ratio, target, verdict_text)
    console.print(table)
    notes = [(r.label.strip(), r.note) for r in results if r.note]
    for label, note in notes:
        console.print(f"[dim]{escape(label)}: {escape(note)}[/dim]", highlight=False)


def save_json(path: Path, machine: dict[str, str], options: dict[str, object], results: Sequence[Result]) -> None:
    rows = []
    for result in results:
        row = asdict(result)
        row["ratio"] = result.ratio
        row["verdict"] = result.verdict.value
        rows.append(row)
    document = {"machine": machine, "options": options, "results": rows}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
