"""Commands for teaching: explain (every number as a formula) and solve (a parameter for a target count)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from archc import api
from archc.cli.common import err, input_shape, networks, spec_options
from archc.errors import SpecError


def count(text: str) -> int:
    """``29066``, ``29,066`` or ``29_066``."""
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a count of at least 0, got {text!r}")
    return value


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


def add_solve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("solve", help="the value of a network parameter whose parameter count or MACs come "
                                     "closest to a target")
    spec_options(p)
    p.add_argument("--for", dest="name", required=True, metavar="NAME", help="the integer network parameter to vary")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--params", type=count, metavar="N", help="target parameter count")
    target.add_argument("--macs", type=count, metavar="N", help="target MACs per sample (needs a concrete input)")
    target.add_argument("--match", metavar="OTHER[:NETWORK]", help="the parameter count (or --count macs) of "
                                                                   "another spec")
    p.add_argument("--count", choices=("params", "macs"), default="params", help="what --match compares")
    p.add_argument("--range", metavar="LO..HI[:STEP]",
                   help="values to consider (default 1..max(64, 4 x the parameter's value))")
    p.add_argument("--plot", metavar="PATH", help="with --set NAME=LO..HI: draw the counts (PNG, SVG or PDF)")
    output_format(p)
    p.set_defaults(run=run_solve)


def run_solve(args: argparse.Namespace) -> int:
    from archc.teach.sweep import parse_range, split_sweep

    fixed, swept = split_sweep(args.set)
    if swept and swept[0] != args.name:
        raise SpecError(f"solve sweeps only its --for parameter ({args.name}), not {swept[0]}",
                        hint=f"--set {args.name}=LO..HI[:STEP] lists every value; fix {swept[0]} to one value")
    if swept and args.range:
        raise SpecError(f"give the values of {args.name} once: --range or --set {args.name}=LO..HI")
    if args.plot and not swept:
        raise SpecError("--plot draws a sweep", hint=f"add --set {args.name}=LO..HI[:STEP]")
    values = swept[1] if swept else parse_range(args.range, "--range") if args.range else None
    module, _ = networks(args.spec, args.network)
    print_warnings(module, [args.network], fixed)
    shape = input_shape(args.input)
    solution = api.solve(module, args.name, args.params, args.macs, args.match, args.count, args.network, fixed,
                         shape, values, show_all=bool(swept))
    show([solution], args)
    if args.plot:
        drawn = api.sweep(module, args.name, values, args.network, fixed, shape)
        what = "params" if solution.what == "params" else "MACs"
        out = drawn.plot(args.plot, inputs=[args.spec], target=(what, solution.target))
        err(f"wrote {out}")
    return 0


COMMANDS = (add_explain, add_solve)
