"""Commands that build something from a spec: emit (source), render (diagram)."""

from __future__ import annotations

import argparse
import sys

from archc import api
from archc.cli.common import checked, spec_options, write_output


def add_emit(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("emit", help="write the network as standalone source")
    spec_options(p)
    p.add_argument("--target", choices=("torch", "numpy"), default="torch")
    p.add_argument("--backward", choices=("autograd", "manual"), default="autograd",
                   help="manual: convolutions and linear layers with hand-written backward passes")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    p.set_defaults(run=run_emit)


def run_emit(args: argparse.Namespace) -> int:
    text = api.emit(checked(args), target=args.target, backward=args.backward)
    if args.output:
        write_output(args.output, text, inputs=[args.spec])
    else:
        sys.stdout.write(text)
    return 0


def add_render(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="draw the network (graphviz): .svg, .png, .pdf or .dot")
    spec_options(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="net.svg, net.png, net.pdf or net.dot")
    p.add_argument("--rankdir", choices=("TB", "LR"), default="TB", help="top-to-bottom or left-to-right")
    p.add_argument("--collapse", type=_collapse, nargs="?", const="blocks", default=None, metavar="DEPTH",
                   help="draw every block without a concat inside as one node (concats stay, with their "
                        "shapes); with DEPTH, every block or repeat DEPTH levels deep")
    p.add_argument("--scan-as", choices=("cnn", "mlp"), default="cnn", help="draw a scan as its CNN or its MLP")
    p.add_argument("--no-legend", action="store_true")
    p.set_defaults(run=run_render)


def _collapse(text: str) -> int | str:
    """--collapse [DEPTH]: "blocks" (no DEPTH given), or a positive depth."""
    if text == "blocks":
        return text
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a depth of 1 or more, got {text!r}")
    return int(text)


def run_render(args: argparse.Namespace) -> int:
    from archc.diagram import render_graph, write

    dot = render_graph(checked(args), rankdir=args.rankdir, collapse=args.collapse, scan_as=args.scan_as,
                       legend=not args.no_legend)
    print(f"wrote {write(dot, args.output, inputs=[args.spec])}")
    return 0


COMMANDS = (add_emit, add_render)
