"""The command-line options of `archc train` and `archc eval`, checked as they are parsed (a bad value is
a usage error naming the option), and the command line rebuilt from parsed options (for --nproc)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def _number(kind: type, ok: Callable[[float], bool], rule: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, "
                                             f"got {text!r}") from None
        if not (math.isfinite(value) and ok(value)):
            raise argparse.ArgumentTypeError(f"must be {rule}, got {text}")
        return value
    parse.__name__ = rule  # argparse names the type in some messages
    return parse


positive_int = _number(int, lambda v: v >= 1, "at least 1")
natural_int = _number(int, lambda v: v >= 0, "0 or more")
positive_float = _number(float, lambda v: v > 0, "greater than 0")
natural_float = _number(float, lambda v: v >= 0, "0 or more")


def _common(p: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        p.add_argument("spec", metavar="SPEC", help="a spec file (.arch or .yaml)"),
        p.add_argument("--network", help="which network of the file (default: the last one)"),
        p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                       help="override a network parameter"),
        p.add_argument("--data", required=True, help="mnist, mnist1d, varres, varres32/48/64, or an image folder"),
        p.add_argument("--data-dir", metavar="DIR", help="the shared data folder (default: ../shared/data)"),
        p.add_argument("--val-split", type=natural_int, default=None, metavar="N",
                       help="validation examples taken from the training set (MNIST: 10,000, as in the course; "
                            "MNIST-1D: 500)"),
        p.add_argument("--seed", type=natural_int, default=0),
    ]


def define_eval(p: argparse.ArgumentParser) -> list[argparse.Action]:
    """Add the options of `archc eval` to ``p``; the actions added."""
    return [*_common(p), p.add_argument("--weights", required=True, metavar="FILE",
                                        help="a checkpoint of archc train (NumPy .npz or torch .pt)")]


def define_train(p: argparse.ArgumentParser) -> list[argparse.Action]:
    """Add the options of `archc train` to ``p``; the actions added."""
    return [
        *_common(p),
        p.add_argument("--backend", choices=("numpy", "torch"), default="numpy"),
        p.add_argument("--epochs", type=positive_int, default=5, help="epochs in all (also with --resume)"),
        p.add_argument("--batch-size", type=positive_int, default=64,
                       help="the global batch: each of K processes trains on batch/K"),
        p.add_argument("--lr", type=positive_float, default=1e-3),
        p.add_argument("--optimizer", choices=("sgd", "momentum", "adam"), default="adam"),
        p.add_argument("--weight-decay", type=natural_float, default=0.0),
        p.add_argument("--schedule", choices=("cosine", "constant"), default="cosine"),
        p.add_argument("--augment", action="store_true", help="random shifts and rotations of training inputs"),
        p.add_argument("--limit", type=positive_int, metavar="N", help="train on a random subset of N examples"),
        p.add_argument("--out", metavar="FILE", help="checkpoint, rewritten after every epoch: best weights and "
                       "the run's state (default: NETWORK_DATA_BACKEND.npz or .pt; with --resume, that file)"),
        p.add_argument("--resume", metavar="CKPT", help="continue the run a checkpoint of archc train holds"),
        p.add_argument("--plot", metavar="FILE.png", help="loss and accuracy curves"),
        p.add_argument("--no-progress", action="store_true", help="no progress bar"),
        p.add_argument("--nproc", type=positive_int, metavar="K",
                       help="train on K processes on this machine (starts torchrun; --backend torch)"),
        p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                       help="torch device: CUDA (one GPU per process, nccl) where there is one, else CPU (gloo)"),
        p.add_argument("--sync-bn", action="store_true",
                       help="synchronise BatchNorm statistics across processes (SyncBatchNorm; CUDA only)"),
    ]


def rebuild_argv(args: argparse.Namespace, leave_out: tuple[str, ...] = ("nproc",)) -> list[str]:
    """The `archc train` arguments that give ``args`` again, without those in ``leave_out``."""
    out: list[str] = []
    for action in define_train(argparse.ArgumentParser(add_help=False)):
        if action.dest in leave_out:
            continue
        value = getattr(args, action.dest)
        if not action.option_strings:
            out.append(str(value))
        elif action.nargs == 0:  # a flag
            out += [action.option_strings[-1]] if value else []
        elif isinstance(value, list):
            for item in value:
                out += [action.option_strings[-1], str(item)]
        elif value is not None and value != action.default:
            out += [action.option_strings[-1], repr(value) if isinstance(value, float) else str(value)]
    return out
