"""Commands on weights: remap (scanning MLP <-> CNN) and lower (a linear network as a matrix)."""

from __future__ import annotations

import argparse

from archc.cli.common import check_output, checked, err, spec_options, write_output
from archc.cli.train_options import natural_int, positive_int
from archc.errors import SpecError
from archc.remap.matrix import MAX_ELEMENTS


def _yes_no(text: str) -> bool:
    if text.lower() in ("true", "yes", "1"):
        return True
    if text.lower() in ("false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _strict_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--strict", type=_yes_no, default=True, metavar="true|false",
                   help="refuse weight files with keys the network does not have (default true)")


def _say(notes: list[str], path: str) -> None:
    for note in notes:
        err(f"note: {path}: {note}")


def add_remap(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("remap", help="convert weights between a scanning MLP and its CNN")
    spec_options(p)
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
    _strict_option(p)
    p.set_defaults(run=run_remap)


def _save(path: str, arrays: dict, inputs: list) -> None:
    import numpy as np

    out = write_output(path, lambda f: np.savez(f, **arrays), inputs)
    print(f"wrote {out}: " + ", ".join(f"{k} {tuple(v.shape)}" for k, v in arrays.items()))


def run_remap(args: argparse.Namespace) -> int:
    from archc.remap import cnn_to_mlp, conv_stack, mlp_to_cnn, shared_slices
    from archc.weights import check_state, read_arrays, read_weights

    typed = checked(args)
    stack = conv_stack(typed)
    if (args.from_mlp or args.from_cnn) and not args.out:
        raise SpecError("remap needs --out FILE.npz to write the converted weights")
    inputs, notes = [args.spec, args.from_mlp, args.from_cnn], []
    if args.out:
        check_output(args.out, inputs, "weights")
    if args.from_mlp:
        matrices = read_arrays(args.from_mlp, args.allow_pickle, notes)
        _say(notes, args.from_mlp)
        state = mlp_to_cnn(stack, matrices, layout=args.layout, flatten=args.flatten)
        _save(args.out, state, inputs)
        return 0
    if args.from_cnn:
        fill = float("nan") if args.fill == "nan" else 0.0
        cnn = read_weights(args.from_cnn, notes)
        _say(notes, args.from_cnn)
        check_state(cnn, stack.state_shapes(), args.from_cnn, args.strict)
        layers = cnn_to_mlp(stack, cnn, layout=args.layout, flatten=args.flatten, fill=fill)
        _save(args.out, {f"layer{i + 1}.{k}": v for i, layer in enumerate(layers) for k, v in layer.items()}, inputs)
        return 0
    print(f"{typed.graph.name}: an MLP scanning windows of {stack.window} steps with hop {stack.hop}")
    for s in shared_slices(stack):
        rows, cols = s["block"]
        print(f"  {s['layer']}: MLP matrix {s['matrix'][0]}x{s['matrix'][1]} (in, out); {s['positions']} "
              f"position(s) share each filter; unique parameters in [{rows.start}:{rows.stop}, "
              f"{cols.start}:{cols.stop}] ({s['unique']})")
    return 0


def add_lower(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lower", help="write a linear layer (or network) as a matrix: y = A x + b")
    spec_options(p)
    p.add_argument("--layer", metavar="NAME", help="one layer (default: the whole network)")
    p.add_argument("--weights", metavar="FILE.npz", help="weights to use (default: random, from --seed)")
    p.add_argument("--seed", type=natural_int, default=0)
    p.add_argument("-o", "--output", metavar="FILE.npz", help="save A and b instead of printing")
    p.add_argument("--max-elements", type=positive_int, default=MAX_ELEMENTS, metavar="N",
                   help=f"refuse matrices with more entries (default {MAX_ELEMENTS:,})")
    _strict_option(p)
    p.set_defaults(run=run_lower)


def run_lower(args: argparse.Namespace) -> int:
    import numpy as np

    from archc import api
    from archc.remap import conv_matrix, network_matrix
    from archc.remap.matrix import plan

    typed = checked(args)
    plan(typed, args.layer, args.max_elements)  # linear, concrete and small enough, before building anything
    if args.output:
        check_output(args.output, [args.spec, args.weights], "matrix")
    model = api.compile(typed, target="numpy", dtype=np.float64, seed=args.seed)
    if args.weights:
        notes: list[str] = []
        model.load(args.weights, args.strict, notes)
        _say(notes, args.weights)
    state = model.state_dict()
    matrix, b = conv_matrix(typed, args.layer, state, args.max_elements) if args.layer else \
        network_matrix(typed, state, args.max_elements)
    what = f"layer '{args.layer}'" if args.layer else f"network '{typed.graph.name}'"
    if args.output:
        out = write_output(args.output, lambda f: np.savez(f, A=matrix, b=b), [args.spec, args.weights])
        print(f"wrote {out}: A {matrix.shape}, b {b.shape} ({what}: y = A @ x.ravel() + b)")
        return 0
    print(f"{what}: y = A @ x.ravel() + b, A {matrix.shape[0]}x{matrix.shape[1]}"
          + ("" if args.weights else f" (weights drawn with --seed {args.seed}; give --weights FILE)"))
    with np.printoptions(linewidth=160, precision=3, suppress=True, threshold=4000):
        print(matrix)
        if np.any(b):
            print("b =", b)
    return 0


COMMANDS = (add_remap, add_lower)
