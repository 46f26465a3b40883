"""Rerun the benchmarks and print the README's "Measured" table in Markdown, with the machine, the date and
the number of runs.

    python bench/report.py [--rounds 3] [--runs N] [--only numpy_vs_torch,shape_infer]

The contract of a benchmark module in bench/ (the modules in BENCHES follow it):

- ``measure(runs: int) -> list[dict]``, one dict per figure (one row of the table) with
  ``name`` (str, the table's "what"), ``value`` (a float: the median over ``runs`` runs, as the module
  times them), ``unit`` (str: "" for a ratio, "ms", "µs") and ``command`` (str: the command that reruns
  the module alone, as the README shows it);
- ``RUNS`` (int), the ``runs`` a round passes when ``--runs`` is not given;
- importing the module has no side effects; a module that needs torch may fail to import without it (its
  rows are then reported as skipped).

Each module is measured ``--rounds`` times, one module after the other; a figure is the median of the
rounds, with their range.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
BENCHES = ("numpy_vs_torch", "torch_overhead", "shape_infer")
KEYS = ("name", "value", "unit", "command")


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name, from /proc/cpuinfo where there is one."""
    try:
        for line in cpuinfo.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "Hardware"):
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    return f"{cpu_model()}, {cores} logical cores ({usable} usable by this process), {platform.system()}"


def versions() -> str:
    out = [f"Python {platform.python_version()}"]
    for name in ("numpy", "torch"):
        try:
            out.append(f"{name} {importlib.import_module(name).__version__}")
        except ImportError:
            out.append(f"no {name}")
    return ", ".join(out)


def check_rows(module: str, rows: object) -> list[dict]:
    """``rows`` as the contract says, or a TypeError naming the module and what is wrong."""
    if not isinstance(rows, list) or not rows:
        raise TypeError(f"{module}.measure must return a non-empty list of dicts, got {type(rows).__name__}")
    for row in rows:
        if not isinstance(row, dict) or set(row) < set(KEYS):
            raise TypeError(f"{module}.measure: each row needs the keys {', '.join(KEYS)}; got {row!r}")
        if not isinstance(row["value"], int | float):
            raise TypeError(f"{module}.measure: 'value' of {row['name']!r} is not a number: {row['value']!r}")
    return rows


def collect(measures: dict[str, tuple[Callable[[int], list[dict]], int]], rounds: int) -> list[dict]:
    """Every module's rows, each ``value`` replaced by the median over ``rounds`` calls and ``values``
    holding them all."""
    table = []
    for module, (measure, runs) in measures.items():
        by_name: dict[str, dict] = {}
        for _ in range(rounds):
            for row in check_rows(module, measure(runs)):
                by_name.setdefault(row["name"], {**row, "values": [], "runs": runs})["values"].append(row["value"])
        for row in by_name.values():
            table.append({**row, "value": statistics.median(row["values"])})
    return table


def figure(row: dict) -> str:
    unit = f" {row['unit']}" if row.get("unit") else ""
    values = row.get("values", [row["value"]])
    spread = f" ({min(values):.3g}-{max(values):.3g})" if len(values) > 1 else ""
    return f"{row['value']:.3g}{unit}{spread}"


def markdown(table: list[dict], header: list[str], skipped: dict[str, str]) -> str:
    """The report: header lines, then the table | what | figure | runs | command |."""
    lines = [*header, "", "| what | figure | runs | command |", "|---|---|---|---|"]
    lines += [f"| {r['name']} | {figure(r)} | {r.get('runs', '')} | `{r['command']}` |" for r in table]
    lines += [f"| {module} | skipped: {why} | | `.venv/bin/python bench/{module}.py` |"
              for module, why in skipped.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="times each module is measured (default 3)")
    ap.add_argument("--runs", type=int, help="runs per round (default: each module's RUNS)")
    ap.add_argument("--only", default=",".join(BENCHES), help="comma-separated modules (default: all)")
    args = ap.parse_args(argv)
    if args.rounds < 1 or (args.runs is not None and args.runs < 1):
        ap.error("--rounds and --runs must be at least 1")
    sys.path.insert(0, str(BENCH))  # the modules import reference_nets as a top-level module
    measures, skipped = {}, {}
    for name in args.only.split(","):
        if name not in BENCHES:
            ap.error(f"unknown benchmark {name!r}; known: {', '.join(BENCHES)}")
        try:
            module = importlib.import_module(name)
        except ImportError as e:
            skipped[name] = f"cannot import ({e})"
            continue
        measures[name] = (module.measure, args.runs or getattr(module, "RUNS", 10))
    load_before = os.getloadavg()
    started = datetime.datetime.now(datetime.timezone.utc)
    table = collect(measures, args.rounds)
    load_after = os.getloadavg()
    header = [f"Measured on {machine()}; {versions()}.",
              f"{started:%Y-%m-%d %H:%M} UTC, `python bench/report.py --rounds {args.rounds}"
              + (f" --runs {args.runs}" if args.runs else "") + "`: each figure is the median of "
              f"{args.rounds} round(s) (their range in brackets), a round the median of `runs` timings.",
              f"Load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in load_before)}; after: "
              f"{', '.join(f'{x:.2f}' for x in load_after)}."]
    sys.stdout.write(markdown(table, header, skipped))
    return 0


if __name__ == "__main__":
    sys.exit(main())
