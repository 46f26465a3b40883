"""Commands for teaching: explain (every number as a formula)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from archc import api
from archc.cli.common import err, input_shape, networks, spec_options


def output_format(p: argparse.ArgumentParser, latex: bool = False) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--markdown", action="store_true", help="Markdown tables (for reports and notebooks)")
    if latex:
        g.add_argument("--latex", action="store_true", help="LaTeX (align* environments) for handouts")
    g.add_argument("--json", action="store_true", help="machine-readable output")


def show(reports: list[Any], args: argparse.Namespace) -> None:
    """Print reports in the format asked for (several as a JSON list)."""
    if args.json:
        data = [r.to_dict() for r in reports]
        print(json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False))
        return
    kind = "markdown" if args.markdown else "latex" if getattr(args, "latex", False) else "text"
    sys.stdout.write("\n".join(getattr(r, kind)() for r in reports))


def show_tables(reports: list[Any], as_json: bool) -> None:
    """Print table reports as rich tables (as `archc summary` does), or as JSON."""
    if as_json:
        data = [r.to_dict() for r in reports]
        print(json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False))
        return
    from rich.console import Console

    for r in reports:
        for t in r.tables():
            width = max(len(line) for line in t.text().splitlines()) + 3 * len(t.header) + 4
            Console(width=max(110, Console().width, width)).print(t.rich())


def print_warnings(module: Any, names: list, overrides: Any) -> None:
    """Print each network's warnings (parameters and block arguments named like input dims) to stderr."""
    for name in names:
        for w in api.warnings(module, name, overrides):
            err(w.format())


def add_explain(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="every output size, parameter count and MAC count as a formula with numbers")
    spec_options(p, several_inputs=True)
    p.add_argument("--layer", action="append", default=[], metavar="NAME", help="explain this layer (repeatable)")
    output_format(p, latex=True)
    p.set_defaults(run=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    module, _ = networks(args.spec, args.network)
    print_warnings(module, [args.network], args.set)
    shapes = [input_shape(t) for t in args.input] or [None]
    reports = [api.explain(module, args.network, args.set, s, args.layer or None) for s in shapes]
    show(reports, args)
    return 0


COMMANDS = (add_explain,)
