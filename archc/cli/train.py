"""Commands that train and evaluate: train, eval."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from archc import api
from archc.cli.common import spec_options


def _dataset_and_model(args: argparse.Namespace) -> tuple[Any, Any]:
    from archc.data import load_dataset

    data = load_dataset(args.data, args.data_dir, args.val_split, args.seed)
    for note in data.notes:
        print(f"note: {note}")
    typed = api.check(args.spec, args.network, args.set, max_nodes=args.max_nodes)
    for shape in data.input_shapes:  # the spec must take every input size in the data
        api.check(typed.graph, input_shape=(1, *shape))
    return data, typed


def _data_options(p: argparse.ArgumentParser) -> None:
    spec_options(p)
    p.add_argument("--data", required=True, help="mnist, mnist1d, varres, varres32/48/64, or an image folder")
    p.add_argument("--data-dir", metavar="DIR", help="the shared data folder (default: ../shared/data)")
    p.add_argument("--val-split", type=int, default=None, metavar="N", help="validation examples taken from "
                   "the training set (MNIST: 10,000, as in the course; MNIST-1D: 500)")
    p.add_argument("--seed", type=int, default=0)


def add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a network on a dataset")
    _data_options(p)
    p.add_argument("--backend", choices=("numpy", "torch"), default="numpy")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--optimizer", choices=("sgd", "momentum", "adam"), default="adam")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--schedule", choices=("cosine", "constant"), default="cosine")
    p.add_argument("--augment", action="store_true", help="random shifts and rotations of training inputs")
    p.add_argument("--limit", type=int, metavar="N", help="train on a random subset of N examples")
    p.add_argument("--out", metavar="FILE", help="checkpoint (default: NETWORK_DATA_BACKEND.npz or .pt)")
    p.add_argument("--plot", metavar="FILE.png", help="loss and accuracy curves")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run_train)


def run_train(args: argparse.Namespace) -> int:
    import numpy as np

    from archc.train import accuracy, fit, make_trainer, plot

    data, typed = _dataset_and_model(args)
    train = data.train
    if args.limit:
        train = train.take(args.limit, np.random.default_rng(args.seed))
    trainer = make_trainer(args.backend, typed, args.optimizer, args.lr, args.weight_decay, args.seed)
    out = Path(args.out or f"{typed.graph.name}_{data.name}_{args.backend}{trainer.suffix}")
    print(f"training {typed.graph.name} ({typed.total_params:,} params, {args.backend}) on {data.name}: "
          f"{len(train):,} train / {len(data.val):,} val / {len(data.test):,} test")
    history = fit(trainer, train, data.val, args.epochs, args.batch_size, args.lr, args.seed, args.schedule,
                  args.augment, out, progress=not args.no_progress)
    acc, _, _ = accuracy(trainer, data.test)
    print(f"test accuracy: {acc:.4f} ({len(data.test):,} examples); best-validation weights in {out}")
    if args.plot:
        plot(history, Path(args.plot), f"{typed.graph.name} on {data.name} ({args.backend})")
        print(f"wrote {args.plot}")
    return 0


def add_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="test accuracy and confusion matrix")
    _data_options(p)
    p.add_argument("--weights", required=True, metavar="FILE", help="a .npz (NumPy) or .pt (torch) file")
    p.set_defaults(run=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from archc.train import accuracy, confusion, make_trainer

    data, typed = _dataset_and_model(args)
    backend = "torch" if str(args.weights).endswith(".pt") else "numpy"
    trainer = make_trainer(backend, typed)
    trainer.load(Path(args.weights))
    acc, pred, true = accuracy(trainer, data.test)
    print(f"{typed.graph.name} on {data.name} test set: accuracy {acc:.4f} ({int((pred == true).sum()):,}"
          f"/{len(true):,})")
    m = confusion(pred, true, data.classes)
    table = Table(title="confusion matrix (rows: true class, columns: predicted)")
    table.add_column("")
    for c in range(data.classes):
        table.add_column(str(c), justify="right")
    for r in range(data.classes):
        table.add_row(str(r), *(f"[bold]{v}[/bold]" if r == c else (str(v) if v else ".") for c, v in enumerate(m[r])))
    Console(width=max(110, Console().width)).print(table)
    return 0


COMMANDS = (add_train, add_eval)
