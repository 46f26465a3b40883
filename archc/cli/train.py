"""`archc train` and `archc eval`: their arguments and what they do.

``archc train`` runs in one process, or under torchrun in several (``--nproc K`` starts torchrun
itself); only rank 0 prints, plots and writes the checkpoint. ``--resume CKPT`` continues a run.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from archc import api
from archc.cli.common import check_output
from archc.cli.train_options import define_eval, define_train, rebuild_argv
from archc.errors import ArchcError
from archc.fileio import FileError, atomic_write
from archc.train import checkpoint as ckpt
from archc.train import distributed

DIGEST_ENV = "ARCHC_WEIGHTS_DIGEST_DIR"  # tests: every rank writes a hash of its final weights here
RESUME_KEYS = ("data", "limit", "val_split", "batch_size", "lr", "schedule", "weight_decay", "augment", "seed")


def add_train(sub: argparse._SubParsersAction) -> None:
    """``archc train``: spec, data, optimisation, processes, checkpoints."""
    p = sub.add_parser("train", help="train a network on a dataset (several processes: --nproc)")
    define_train(p)
    p.set_defaults(run=run_train)


def add_eval(sub: argparse._SubParsersAction) -> None:
    """``archc eval``: spec, data, weights."""
    p = sub.add_parser("eval", help="test accuracy and confusion matrix")
    define_eval(p)
    p.set_defaults(run=run_eval)


def _warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr)


def _dataset_and_model(args: argparse.Namespace, log: Any = print) -> tuple[Any, Any]:
    from archc.data import load_dataset

    data = load_dataset(args.data, args.data_dir, args.val_split, args.seed)
    for note in data.notes:
        log(f"note: {note}")
    typed = api.check(args.spec, args.network, args.set)
    for shape in data.input_shapes:  # the spec must take every input size in the data
        api.check(typed.graph, input_shape=(1, *shape))
    check_classes(typed, data)
    return data, typed


def check_classes(typed: Any, data: Any) -> None:
    """The network must output one logit per class of the data: a diagnostic at the output layer."""
    graph = typed.graph
    node = graph.node(graph.outputs[0])
    shape = typed.shapes[graph.outputs[0]]
    if len(shape) != 2:
        raise ArchcError(f"{graph.name} outputs {list(shape)} per batch; training needs [N, classes] "
                         f"({data.classes} classes in {data.name})", node.span, source=graph.source)
    width = shape[1]
    if width != data.classes:
        raise ArchcError(f"{graph.name} outputs {width} values per example (layer '{node.name}'), but "
                         f"{data.name} has {data.classes} classes", node.span, source=graph.source,
                         hint=f"end the network in a layer with {data.classes} outputs, e.g. linear({data.classes})")


def run_train(args: argparse.Namespace) -> int:
    """``archc train``: launch torchrun for --nproc, else train in this process (maybe one of several)."""
    if args.nproc is not None:
        if distributed.under_torchrun():
            raise ArchcError("--nproc starts torchrun itself; under torchrun, leave it out")
        _check_processes(args, args.nproc)
        _check_nproc(args.nproc, args.device)
        _preflight(args)
        return distributed.launch(args.nproc, rebuild_argv(args))
    _, world, _ = distributed.env_world()
    _check_processes(args, world)
    dist = distributed.setup(args.device) if args.backend == "torch" else distributed.Dist()
    try:
        code = _train(args, dist)
    except ArchcError as e:
        dist.close(wait=False)
        if dist.rank:
            e.add_note(f"in process {dist.rank} of {dist.world}")
        raise
    except BaseException:
        dist.close(wait=False)
        raise
    dist.close()
    return code


def _check_processes(args: argparse.Namespace, k: int) -> None:
    if k > 1 and args.backend != "torch":
        raise ArchcError(f"training on {k} processes needs --backend torch (the numpy backend runs in one)")
    if args.batch_size % k:
        raise ArchcError(f"--batch-size {args.batch_size} is the global batch: it must divide evenly among the "
                         f"{k} processes", hint=f"give a multiple of {k}, e.g. {k * max(1, args.batch_size // k)}")
    if args.sync_bn and args.backend != "torch":
        raise ArchcError("--sync-bn is for --backend torch")


def _check_nproc(k: int, device_choice: str) -> None:
    """Refuse more processes than this machine runs at once: its CPU cores, or its GPUs under CUDA."""
    if k <= 1:
        return
    if distributed.choose_device(device_choice) == "cuda":
        import torch

        gpus = torch.cuda.device_count()
        if k > gpus:
            raise ArchcError(f"--nproc {k}: this machine has {gpus} GPU{'s' * (gpus != 1)}, one per process",
                             hint=f"give --nproc {gpus} or fewer (or --device cpu)")
        return
    cores = os.cpu_count() or 1
    if k > cores:
        raise ArchcError(f"--nproc {k}: this machine has {cores} CPU core{'s' * (cores != 1)}; more processes "
                         "than cores only slow training down", hint=f"give --nproc {cores} or fewer")


def _preflight(args: argparse.Namespace) -> None:
    """Before starting K processes, the errors each would report: spec, data, classes, output paths."""
    data, typed = _dataset_and_model(args, lambda *a, **k: None)
    _check_outputs(args, _out_path(args, typed, data, ".pt"), [args.spec, *data.sources])


def _out_path(args: argparse.Namespace, typed: Any, data: Any, suffix: str) -> Path:
    return Path(args.out or args.resume or f"{typed.graph.name}_{data.name}_{args.backend}{suffix}")


def _check_outputs(args: argparse.Namespace, out: Path, inputs: list) -> None:
    check_output(out, inputs, "checkpoint")
    if args.plot:
        check_output(args.plot, [*inputs, out, args.resume], "plot")


def _train(args: argparse.Namespace, dist: distributed.Dist) -> int:
    import numpy as np

    from archc.train import make_trainer

    log = print if dist.main else (lambda *a, **k: None)
    data, typed = _dataset_and_model(args, log)
    train = data.train
    if args.limit:
        train = train.take(args.limit, np.random.default_rng(args.seed))
    trainer = make_trainer(args.backend, typed, args.optimizer, args.lr, args.weight_decay, args.seed, dist,
                           args.sync_bn)
    try:
        return _train_with(args, dist, data, typed, train, trainer, log)
    finally:
        trainer.close()


def _train_with(args: argparse.Namespace, dist: distributed.Dist, data: Any, typed: Any, train: Any, trainer: Any,
                log: Any) -> int:
    from archc.train import accuracy, fit, plot

    inputs = [args.spec, *data.sources]
    out = _out_path(args, typed, data, trainer.suffix)
    _check_outputs(args, out, inputs)
    meta = ckpt.new_meta(args.backend, typed.graph.name, args.spec, args.set)
    meta["train"] = {k: getattr(args, k) for k in ("optimizer", *RESUME_KEYS)}
    resume = _resume(args, trainer, typed, dist, log) if args.resume else None
    log(f"training {typed.graph.name} ({typed.total_params:,} params, {args.backend}"
        + (f", {dist.world} processes on {dist.device}" if dist.active else "") + f") on {data.name}: "
        f"{len(train):,} train / {len(data.val):,} val / {len(data.test):,} test")
    history = fit(trainer, train, data.val, args.epochs, args.batch_size, args.lr, args.seed, args.schedule,
                  args.augment, out, progress=not args.no_progress, log=log, dist=dist, meta=meta,
                  resume=resume, inputs=tuple(inputs))
    where = f"best weights in {out}"
    if len(data.test):
        acc = accuracy(trainer, data.test, dist=dist)[0]
        log(f"test accuracy: {acc:.4f} ({len(data.test):,} examples); {where}")
    else:
        log(f"no test split in {data.name}: test accuracy not measured; {where}")
    if args.plot and dist.main:
        title = f"{typed.graph.name} on {data.name} ({args.backend})"
        log(f"wrote {plot(history, Path(args.plot), title, tuple([*inputs, out]))}")
    _write_digest(trainer, dist)
    return 0


def _resume(args: argparse.Namespace, trainer: Any, typed: Any, dist: distributed.Dist, log: Any) -> tuple:
    path = Path(args.resume)
    kind = ckpt.file_backend(path)
    if kind != args.backend:
        raise ArchcError(f"{path} is a {kind} checkpoint; resume it with --backend {kind}")
    try:
        meta, best = trainer.resume(path)
    except ckpt.CheckpointError as e:
        raise _explained(e, path, typed, args) from None
    if meta.get("train", {}).get("optimizer", args.optimizer) != args.optimizer:
        raise ArchcError(f"{path} was trained with --optimizer {meta['train']['optimizer']}, not {args.optimizer}",
                         hint="resume with the optimizer the run started with")
    notes = ckpt.mismatches(meta, typed.graph.name, args.spec, args.set)
    for key in RESUME_KEYS:
        was, now = meta.get("train", {}).get(key), getattr(args, key)
        if was != now:
            notes.append(f"it was trained with {_option(key, was)}, this run has {_option(key, now)}")
    if meta.get("epochs") != args.epochs:
        notes.append(f"it was run for --epochs {meta.get('epochs')}, this run has {args.epochs}: the learning-rate "
                     "schedule of the remaining epochs differs")
    if meta.get("world", 1) != dist.world:
        notes.append(f"it ran on {meta.get('world', 1)} process(es), this run on {dist.world}")
    if dist.main:
        for note in notes:
            _warn(f"{path}: {note}")
    if meta["epoch"] >= args.epochs:
        raise ArchcError(f"{path} has already trained {meta['epoch']} of {args.epochs} epochs; nothing to do",
                         hint=f"give --epochs more than {meta['epoch']} to train on")
    log(f"resuming {path} after epoch {meta['epoch']} (best epoch {meta['best_epoch']}: {meta['best']:.4f})")
    return meta, best


def _option(key: str, value: Any) -> str:
    flag = "--" + key.replace("_", "-")
    if value is True:
        return flag
    return f"no {flag}" if value is None or value is False else f"{flag} {value}"


def _explained(error: ArchcError, path: Path, typed: Any, args: argparse.Namespace) -> ArchcError:
    """Add to a checkpoint that does not fit what its metadata says it was made from."""
    for note in ckpt.mismatches(ckpt.read_meta(path), typed.graph.name, args.spec, args.set):
        error.add_note(note)
    return error


def _write_digest(trainer: Any, dist: distributed.Dist) -> None:
    folder = os.environ.get(DIGEST_ENV)
    if folder:
        atomic_write(Path(folder) / f"rank{dist.rank}.sha256", distributed.state_digest(trainer.weights()) + "\n")


def run_eval(args: argparse.Namespace) -> int:
    """``archc eval``: test accuracy and the confusion matrix of a checkpoint."""
    from rich.console import Console
    from rich.table import Table

    from archc.train import accuracy, confusion, make_trainer

    data, typed = _dataset_and_model(args)
    if not len(data.test):
        raise ArchcError(f"{data.name} has no test split: nothing to evaluate",
                         hint="put images in test/<class>/ beside train/")
    weights = Path(args.weights)
    if weights.is_dir():
        raise FileError(f"{weights}: is a directory, not a checkpoint")
    trainer = make_trainer(ckpt.file_backend(weights), typed)
    try:
        meta = trainer.load(weights)
    except ckpt.CheckpointError as e:
        raise _explained(e, weights, typed, args) from None
    for note in ckpt.mismatches(meta, typed.graph.name, args.spec, args.set):
        _warn(f"{weights}: {note}")
    acc, pred, true = accuracy(trainer, data.test)
    which = f" (weights of epoch {meta['best_epoch']})" if meta and "best_epoch" in meta else ""
    print(f"{typed.graph.name} on {data.name} test set{which}: accuracy {acc:.4f} ({int((pred == true).sum()):,}"
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
