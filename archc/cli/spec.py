"""Commands that read specs: check, summary, fmt, ir, ops."""

from __future__ import annotations

import argparse
import json
import sys

from archc import api
from archc.cli.common import checked, err, input_shape, networks, spec_options, write_output
from archc.cli.teach import print_warnings, show_tables
from archc.dims import shape_str
from archc.errors import ArchcError, SpecError
from archc.teach.valid import valid_line


def add_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check specs; print every diagnostic; exit 1 on any error")
    spec_options(p, many=True, network_help="which network of each file (default: every network)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only diagnostics")
    p.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    failures = 0
    for path in args.specs:
        try:
            module, names = networks(path, args.network)
            for name in names:
                try:
                    typed = checked(args, module, name)
                except ArchcError as e:
                    failures += 1
                    err(e.with_span(None, module.source).format())
                    continue
                if not args.quiet:
                    outs = ", ".join(shape_str(s) for s in typed.output_shapes)
                    print(f"ok  {path}: {typed.graph.name}  {typed.total_params:,} params  -> {outs}")
                    valid = valid_line(typed)
                    if valid:
                        print(f"    valid inputs: {valid}")
                print_warnings(module, [name], args.set)
        except ArchcError as e:
            failures += 1
            err(e.format())
    return 1 if failures else 0


def add_summary(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("summary", help="per-layer table of shapes, parameters and MACs")
    spec_options(p, network_help="which network of the file (default: every network)", several_inputs=True)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--plot", metavar="PATH", help="with --set NAME=LO..HI: draw params and MACs (PNG, SVG, PDF)")
    p.set_defaults(run=run_summary)


def run_summary(args: argparse.Namespace) -> int:
    """One table per network; with several --input, one table with columns per input; with
    --set NAME=LO..HI[:STEP], one row per value."""
    from archc.summary import print_summary, summary_dict
    from archc.teach.sweep import split_sweep

    fixed, swept = split_sweep(args.set)
    shapes = [input_shape(t) for t in args.input]
    module, names = networks(args.spec, args.network)
    print_warnings(module, names, fixed)
    if args.plot and not swept:
        raise SpecError("--plot draws a sweep", hint="add --set NAME=LO..HI[:STEP]")
    if swept and len(shapes) > 1:
        raise SpecError("a sweep takes one --input", hint="sweep once per input shape")
    if swept or len(shapes) > 1:
        reports = [api.sweep(module, swept[0], swept[1], name, fixed, shapes[0] if shapes else None) if swept
                   else api.resolutions(module, shapes, name, fixed) for name in names]
        if args.plot:
            for r in reports:
                err(f"wrote {r.plot(args.plot, inputs=[args.spec])}")
        show_tables(reports, args.json)
        return 0
    results = [api.check(module, name, fixed, shapes[0] if shapes else None, max_nodes=args.max_nodes)
               for name in names]
    if args.json:
        data = [summary_dict(t) for t in results]
        print(json.dumps(data[0] if len(data) == 1 else data, indent=2))
    else:
        for t in results:
            print_summary(t)
    return 0


def add_fmt(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fmt", help="print a spec back as DSL or YAML (refusing rather than change it)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--to", choices=("arch", "yaml"), help="output language (default: the input's)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("-i", "--in-place", action="store_true", help="rewrite FILE (only if the result means the same)")
    g.add_argument("-o", "--output", metavar="OUT", help="write to OUT")
    p.set_defaults(run=run_fmt)


def run_fmt(args: argparse.Namespace) -> int:
    module = api.parse(args.file)  # a file that does not parse is never written
    to = args.to or module.format
    if args.in_place and to != module.format:
        other = "yaml" if to == "yaml" else "arch"
        raise SpecError(f"{args.file}: -i would write {to} into a .{module.format} file",
                        hint=f"write it elsewhere: archc fmt {args.file} --to {to} -o NAME.{other}")
    text = api.format(module, to)
    target = args.output or (args.file if args.in_place else None)
    if target is None:
        sys.stdout.write(text)
        return 0
    write_output(target, text, inputs=[] if args.in_place else [args.file])
    return 0


def add_ir(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ir", help="print the IR the spec compiles to")
    spec_options(p, network_help="which network of the file (default: every network)")
    p.set_defaults(run=run_ir)


def run_ir(args: argparse.Namespace) -> int:
    module, names = networks(args.spec, args.network)
    for name in names:
        print(api.load(module, name, args.set, max_nodes=args.max_nodes))
    return 0


def add_ops(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ops", help="the op reference: every op's attributes, defaults and formulas")
    p.add_argument("name", nargs="?", metavar="OP", help="one op (default: all)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="machine-readable output")
    g.add_argument("--markdown", action="store_true", help="the reference page as Markdown")
    p.set_defaults(run=run_ops)


def run_ops(args: argparse.Namespace) -> int:
    from archc.reference import markdown

    entries = api.ops(args.name)
    if args.json:
        print(json.dumps(entries[0] if args.name else entries, indent=2))
    elif args.markdown:
        sys.stdout.write(markdown(entries))
    elif args.name:
        sys.stdout.write(markdown(entries).split("\n## ", 1)[1].join(["## ", ""]))
    else:
        width = max(len(e["name"]) for e in entries)
        for e in entries:
            print(f"{e['name']:<{width}}  {e['family']:<10}  {e['usage']}")
    return 0


COMMANDS = (add_check, add_summary, add_fmt, add_ir, add_ops)
__all__ = ["COMMANDS", "input_shape"]
