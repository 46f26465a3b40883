"""What the commands share: the spec options, reading --input, writing outputs, printing errors."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from archc import api
from archc.cli.train_options import positive_int
from archc.errors import SpecError
from archc.fileio import FileError, atomic_write, check_not_input, check_regular
from archc.ir.lower import MAX_NODES


def err(text: str) -> None:
    print(text, file=sys.stderr)


def spec_options(p: argparse.ArgumentParser, many: bool = False, network_help: str | None = None,
                 several_inputs: bool = False) -> None:
    """SPEC, --network, --set, --input (a list of them when ``several_inputs``), --max-nodes."""
    if many:
        p.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (.arch or .yaml)")
    else:
        p.add_argument("spec", metavar="SPEC", help="a spec file (.arch or .yaml)")
    p.add_argument("--network", help=network_help or "which network of the file (default: the last one)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a network parameter")
    if several_inputs:
        p.add_argument("--input", metavar="N,C,H,W", action="append", default=[],
                       help="concrete input shape (binds symbolic dims); repeat it for several")
    else:
        p.add_argument("--input", metavar="N,C,H,W", help="concrete input shape (binds symbolic dims)")
    p.add_argument("--max-nodes", type=positive_int, default=MAX_NODES, metavar="N",
                   help=f"refuse networks with more layers than this after expansion (default {MAX_NODES:,})")


def input_shape(text: str | None) -> tuple | None:
    """``1,1,28,28`` (or ``1x1x28x28``) -> a shape."""
    if not text:
        return None
    try:
        shape = tuple(int(x) for x in text.replace("x", ",").split(",") if x.strip())
    except ValueError:
        raise SpecError(f"--input expects comma-separated integers such as 1,1,28,28, got {text!r}") from None
    if not shape or any(d < 1 for d in shape):
        raise SpecError(f"--input sizes must be positive integers, got {text!r}")
    return shape


def networks(path: str, network: str | None) -> tuple[Any, list[str | None]]:
    """The parsed file and the networks a command acts on (the one named, or every one)."""
    module = api.parse(path)
    if network is not None:
        module.network(network)  # raises with a hint when absent
        return module, [network]
    return module, [n.name for n in module.networks] or [None]


def checked(args: argparse.Namespace, spec: Any = None, network: str | None = None) -> Any:
    return api.check(spec if spec is not None else args.spec, network if network is not None else args.network,
                     args.set, input_shape(args.input), max_nodes=args.max_nodes)


def check_output(path: str | Path, inputs: list, what: str = "output") -> None:
    """Refuse, before any work, an output that cannot be written: one of the inputs, a folder, a FIFO
    or device, or a path in a folder that does not exist (atomic_write checks again when it writes)."""
    target = Path(path)
    check_not_input(path, inputs, what)
    check_regular(path, what)
    if not target.parent.is_dir():
        raise FileError(f"{path}: the folder {target.parent} does not exist")


def write_output(path: str | Path, data: bytes | str | Any, inputs: list, what: str = "output") -> Path:
    """Write atomically, never over one of the command's inputs; report the path written."""
    out = atomic_write(path, data, inputs=inputs, what=what)
    return out
