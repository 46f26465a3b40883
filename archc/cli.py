"""The `archc` command: check, summary, fmt, ir (and the backends' commands)."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from archc import api
from archc.dims import dim_str, shape_str
from archc.errors import ArchcError, SpecError
from archc.train.command import add_eval_arguments, add_train_arguments, run_eval, run_train

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
             "params": layer.n_params, "macs": jdim(typed.macs(layer.name)),
             "receptive_field": list(layer.receptive_field) if layer.receptive_field else None,
             "jump": list(layer.jump) if layer.jump else None}
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
    spatial = any(layer.receptive_field for layer in typed.layers.values())
    if spatial:
        table.add_column("RF", justify="right")
        table.add_column("Jump", justify="right")
    for i in g.inputs:
        table.add_row(i.name, "input", _shape(typed.shapes[i.name]), "", "", *(["", ""] if spatial else []))
    for layer in typed.layers.values():
        extra = [_by(layer.receptive_field), _by(layer.jump)] if spatial else []
        table.add_row(layer.name, layer.op, _shape(layer.shape),
                      f"{layer.n_params:,}" if layer.n_params else "-", _num(typed.macs(layer.name)) or "-", *extra)
    console.print(table)
    bytes_ = typed.total_params * 4
    console.print(f"Params: {typed.total_params:,} ({bytes_ / 2**20:.2f} MiB as float32)   "
                  f"MACs{per}: {_num(typed.total_macs)}   "
                  f"Output: {', '.join(shape_str(s) for s in typed.output_shapes)}")
    if g.params:
        console.print("Parameters: " + ", ".join(f"{k}={v}" for k, v in g.params.items()))


def _by(values: tuple | None) -> str:
    return "x".join(map(str, values)) if values else ""


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


# -- remap and lower -------------------------------------------------------------------------------
def _load_arrays(path: str, allow_pickle: bool) -> list:
    import numpy as np

    try:
        data = np.load(path, allow_pickle=allow_pickle)
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise SpecError(f"{path} holds Python objects (a pickle)",
                            hint="pass --allow-pickle, only for a file you trust: loading it runs its code") from None
        raise SpecError(f"{path}: cannot read: {e}") from None
    if isinstance(data, np.lib.npyio.NpzFile):
        keys = sorted(data.files, key=lambda k: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", k)])
        return [data[k] for k in keys]
    return list(data) if data.dtype == object or data.ndim == 3 else [data]


@command
def cmd_remap(args: argparse.Namespace) -> int:
    import numpy as np

    from archc.remap import cnn_to_mlp, conv_stack, mlp_to_cnn, shared_slices

    typed = api.check(args.spec, args.network, args.set)
    stack = conv_stack(typed)
    if args.from_mlp:
        state = mlp_to_cnn(stack, _load_arrays(args.from_mlp, args.allow_pickle), layout=args.layout,
                           flatten=args.flatten)
        np.savez(args.out, **state)
        print(f"wrote {args.out}: " + ", ".join(f"{k} {tuple(v.shape)}" for k, v in state.items()))
        return 0
    if args.from_cnn:
        with np.load(args.from_cnn) as data:
            state = {k: data[k] for k in data.files}
        fill = float("nan") if args.fill == "nan" else 0.0
        layers = cnn_to_mlp(stack, state, layout=args.layout, flatten=args.flatten, fill=fill)
        arrays = {f"layer{i + 1}.{k}": v for i, layer in enumerate(layers) for k, v in layer.items()}
        np.savez(args.out, **arrays)
        print(f"wrote {args.out}: " + ", ".join(f"{k} {tuple(v.shape)}" for k, v in arrays.items()))
        return 0
    print(f"{typed.graph.name}: an MLP scanning windows of {stack.window} steps with hop {stack.hop}")
    for s in shared_slices(stack):
        rows, cols = s["block"]
        print(f"  {s['layer']}: MLP matrix {s['matrix'][0]}x{s['matrix'][1]} (in, out); {s['positions']} "
              f"position(s) share each filter; unique parameters in [{rows.start}:{rows.stop}, "
              f"{cols.start}:{cols.stop}] ({s['unique']})")
    return 0


@command
def cmd_lower(args: argparse.Namespace) -> int:
    import numpy as np

    from archc.remap import conv_matrix, network_matrix

    typed = api.check(args.spec, args.network, args.set, _input_shape(args.input))
    model = api.compile(typed.graph, target="numpy", dtype=np.float64, seed=args.seed)
    if args.weights:
        model.load(args.weights)
    state = model.state_dict()
    matrix, b = conv_matrix(typed, args.layer, state) if args.layer else network_matrix(typed, state)
    what = f"layer '{args.layer}'" if args.layer else f"network '{typed.graph.name}'"
    if args.output:
        np.savez(args.output, A=matrix, b=b)
        print(f"wrote {args.output}: A {matrix.shape}, b {b.shape} ({what}: y = A @ x.ravel() + b)")
        return 0
    print(f"{what}: y = A @ x.ravel() + b, A {matrix.shape[0]}x{matrix.shape[1]}"
          + ("" if args.weights else f" (weights drawn with --seed {args.seed}; give --weights FILE)"))
    with np.printoptions(linewidth=160, precision=3, suppress=True, threshold=4000):
        print(matrix)
        if np.any(b):
            print("b =", b)
    return 0


# -- render -------------------------------------------------------------------------------------
@command
def cmd_render(args: argparse.Namespace) -> int:
    from archc.diagram import render_graph, write

    typed = api.check(args.spec, args.network, args.set, _input_shape(args.input))
    dot = render_graph(typed, rankdir=args.rankdir, collapse=args.collapse, scan_as=args.scan_as,
                       legend=not args.no_legend)
    print(f"wrote {write(dot, args.output)}")
    return 0


# -- train and eval (archc/train/command.py) ------------------------------------------------------
@command
def cmd_train(args: argparse.Namespace) -> int:
    return run_train(args)


@command
def cmd_eval(args: argparse.Namespace) -> int:
    return run_eval(args)


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
    p = sub.add_parser("remap", help="convert weights between a scanning MLP and its CNN")
    _spec_options(p)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--from-mlp", metavar="FILE", help="MLP matrices (.npy list or .npz) -> CNN state dict")
    g.add_argument("--from-cnn", metavar="FILE", help="CNN state dict (.npz) -> dense MLP matrices")
    p.add_argument("--out", metavar="FILE.npz", help="where to write the converted weights")
    p.add_argument("--layout", choices=("in_out", "out_in"), default="in_out",
                   help="MLP matrices stored (in, out) as in the course, or (out, in) as nn.Linear")
    p.add_argument("--flatten", choices=("time", "channel"), default="time",
                   help="order of a window's entries: time-major (t*C + c) or channel-major")
    p.add_argument("--fill", choices=("zero", "nan"), default="zero", help="entries outside the shared blocks")
    p.add_argument("--allow-pickle", action="store_true", help="read object arrays (runs pickle: trusted files only)")
    p = sub.add_parser("lower", help="write a linear layer (or network) as a matrix: y = A x + b")
    _spec_options(p)
    p.add_argument("--layer", metavar="NAME", help="one layer (default: the whole network)")
    p.add_argument("--weights", metavar="FILE.npz", help="weights to use (default: random, from --seed)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", metavar="FILE.npz", help="save A and b instead of printing")
    p = sub.add_parser("render", help="draw the network (graphviz): .svg, .png, .pdf or .dot")
    _spec_options(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="net.svg, net.png, net.pdf or net.dot")
    p.add_argument("--rankdir", choices=("TB", "LR"), default="TB", help="top-to-bottom or left-to-right")
    p.add_argument("--collapse", type=int, nargs="?", const=1, default=None, metavar="DEPTH",
                   help="draw blocks/repeats DEPTH levels deep (default 1) as single nodes")
    p.add_argument("--scan-as", choices=("cnn", "mlp"), default="cnn", help="draw a scan as its CNN or its MLP")
    p.add_argument("--no-legend", action="store_true")
    add_train_arguments(sub.add_parser("train", help="train a network on a dataset (several processes: --nproc)"))
    add_eval_arguments(sub.add_parser("eval", help="test accuracy and confusion matrix"))
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
