"""The `archc` command: check, summary, fmt, ir (and the backends' commands)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from archc import api
from archc.dims import dim_str, shape_str
from archc.errors import ArchcError, SpecError

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    COMMANDS[fn.__name__.removeprefix("cmd_")] = fn
    return fn


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _networks(path: str, network: str | None) -> tuple[Any, list[str]]:
    module = api.parse(path)
    if network is not None:
        module.network(network)  # raises with a hint when absent
        return module, [network]
    return module, [n.name for n in module.networks] or [None]


def _input_shape(text: str | None) -> tuple | None:
    if not text:
        return None
    try:
        shape = tuple(int(x) for x in text.replace("x", ",").split(",") if x.strip())
    except ValueError:
        raise SpecError(f"--input expects comma-separated integers such as 1,1,28,28, got {text!r}") from None
    if not shape or any(d < 1 for d in shape):
        raise SpecError(f"--input sizes must be positive integers, got {text!r}")
    return shape


# -- check --------------------------------------------------------------------------------
@command
def cmd_check(args: argparse.Namespace) -> int:
    failures = 0
    for path in args.specs:
        try:
            module, names = _networks(path, args.network)
            for name in names:
                try:
                    typed = api.check(module, name, args.set, _input_shape(args.input))
                except ArchcError as e:
                    failures += 1
                    _err(e.with_span(None, module.source).format())
                    continue
                if not args.quiet:
                    outs = ", ".join(shape_str(s) for s in typed.output_shapes)
                    print(f"ok  {path}: {typed.graph.name}  {typed.total_params:,} params  -> {outs}")
        except ArchcError as e:
            failures += 1
            _err(e.format())
    return 1 if failures else 0


# -- summary --------------------------------------------------------------------------------
def summary_dict(typed: Any) -> dict[str, Any]:
    """The machine-readable summary (the `--json` output)."""
    def jdim(d: Any) -> Any:
        return d if isinstance(d, int) else dim_str(d)

    def jshape(s: tuple) -> list:
        return [jdim(d) for d in s]

    g = typed.graph
    return {
        "network": g.name,
        "input_shape": jshape(typed.shapes[g.inputs[0].name]) if g.inputs else None,
        "output_shape": jshape(typed.shapes[g.outputs[0]]),
        "total_params": typed.total_params,
        "total_macs": jdim(typed.total_macs),
        "layers": [
            {"name": layer.name, "op": layer.op, "output_shape": jshape(layer.shape),
             "params": layer.n_params, "macs": jdim(typed.macs(layer.name))}
            for layer in typed.layers.values()
        ],
    }


def print_summary(typed: Any, console: Any = None) -> None:
    """A torchinfo-style table of layers, shapes, parameters and MACs."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=max(110, Console().width))
    g = typed.graph
    per = " per sample" if typed.batch_symbol else ""
    table = Table(title=f"{g.name}  ({g.file})", title_justify="left", show_footer=True)
    table.add_column("Layer", footer="Total")
    table.add_column("Op")
    table.add_column("Output shape")
    table.add_column("Params", justify="right", footer=f"{typed.total_params:,}")
    table.add_column(f"MACs{per}", justify="right", footer=_num(typed.total_macs))
    for i in g.inputs:
        table.add_row(i.name, "input", _shape(typed.shapes[i.name]), "", "")
    for layer in typed.layers.values():
        table.add_row(layer.name, layer.op, _shape(layer.shape),
                      f"{layer.n_params:,}" if layer.n_params else "-", _num(typed.macs(layer.name)) or "-")
    console.print(table)
    bytes_ = typed.total_params * 4
    console.print(f"Params: {typed.total_params:,} ({bytes_ / 2**20:.2f} MiB as float32)   "
                  f"MACs{per}: {_num(typed.total_macs)}   "
                  f"Output: {', '.join(shape_str(s) for s in typed.output_shapes)}")
    if g.params:
        console.print("Parameters: " + ", ".join(f"{k}={v}" for k, v in g.params.items()))


def _shape(shape: tuple) -> str:
    return "[" + ", ".join(dim_str(d, pretty=True) for d in shape) + "]"


def _num(v: Any) -> str:
    if isinstance(v, int):
        return f"{v:,}" if v else ""
    return dim_str(v, pretty=True)


@command
def cmd_summary(args: argparse.Namespace) -> int:
    module, names = _networks(args.spec, args.network)
    results = []
    for name in names:
        typed = api.check(module, name, args.set, _input_shape(args.input))
        results.append(typed)
    if args.json:
        data = [summary_dict(t) for t in results]
        print(json.dumps(data[0] if len(data) == 1 else data, indent=2))
    else:
        for t in results:
            print_summary(t)
    return 0


# -- fmt --------------------------------------------------------------------------------------
@command
def cmd_fmt(args: argparse.Namespace) -> int:
    from archc.parser.fmt import to_dsl, to_yaml

    module = api.parse(args.file)  # a file that does not parse is never written
    to = args.to or module.format
    text = to_yaml(module) if to == "yaml" else to_dsl(module)
    # the output must parse to the same networks before anything is written
    check_module = api.parse(f"<formatted {args.file}>" + (".yaml" if to == "yaml" else ".arch"), text)
    for net in module.networks:
        a, b = api.load(module, net.name), api.load(check_module, net.name)
        if [(n.name, n.op, n.inputs, n.attrs) for n in a.nodes] != [(n.name, n.op, n.inputs, n.attrs) for n in b.nodes]:
            raise SpecError(f"internal: formatting {args.file} would change network '{net.name}'; nothing written")
    target = args.output or (args.file if args.in_place else None)
    if target is None:
        sys.stdout.write(text)
        return 0
    _write_atomic(Path(target), text)
    return 0


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- ir -----------------------------------------------------------------------------------------
@command
def cmd_ir(args: argparse.Namespace) -> int:
    module, names = _networks(args.spec, args.network)
    for name in names:
        print(api.load(module, name, args.set))
    return 0


# -- emit ---------------------------------------------------------------------------------------
@command
def cmd_emit(args: argparse.Namespace) -> int:
    typed = api.check(args.spec, args.network, args.set)
    if args.target == "numpy":
        from archc.emit_numpy.source import emit_numpy_source

        text = emit_numpy_source(typed)
    else:
        try:
            from archc.emit_torch import emit_source
        except ImportError:
            raise SpecError("the torch target needs PyTorch", hint="pip install 'archc[torch]'") from None
        text = emit_source(typed, backward=args.backward)
    if args.output:
        _write_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0


# -- parser --------------------------------------------------------------------------------------
def _spec_options(p: argparse.ArgumentParser, many: bool = False) -> None:
    if many:
        p.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (.arch or .yaml)")
    else:
        p.add_argument("spec", metavar="SPEC", help="a spec file (.arch or .yaml)")
    p.add_argument("--network", help="which network of the file (default: each)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a network parameter")
    p.add_argument("--input", metavar="N,C,H,W", help="concrete input shape (binds symbolic dims)")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="archc", description="Check, summarise, build and draw neural-network specs.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("check", help="check specs; print every diagnostic; exit 1 on any error")
    _spec_options(p, many=True)
    p.add_argument("-q", "--quiet", action="store_true", help="print only diagnostics")
    p = sub.add_parser("summary", help="per-layer table of shapes, parameters and MACs")
    _spec_options(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("fmt", help="print a spec back as DSL or YAML")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--to", choices=("arch", "yaml"), help="output language (default: the input's)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("-i", "--in-place", action="store_true", help="rewrite FILE (only if it parses)")
    g.add_argument("-o", "--output", metavar="OUT", help="write to OUT")
    p = sub.add_parser("ir", help="print the IR the spec compiles to")
    _spec_options(p)
    p = sub.add_parser("emit", help="write the network as standalone source")
    _spec_options(p)
    p.add_argument("--target", choices=("torch", "numpy"), default="torch")
    p.add_argument("--backward", choices=("autograd", "manual"), default="autograd",
                   help="manual: convolutions and linear layers with hand-written backward passes")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    for extra in _EXTENSIONS:
        extra(sub)
    return ap


_EXTENSIONS: list[Callable[[Any], None]] = []


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 spec error, 2 usage error)."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ArchcError as e:
        _err(e.format())
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        _err("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
