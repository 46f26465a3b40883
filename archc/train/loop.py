"""The training loop, written once for every backend: shuffled batches (never mixing
resolutions), optional augmentation, a progress bar, per-epoch validation, a cosine learning
rate schedule, a checkpoint of the best validation accuracy, and a history to plot."""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from archc.data.datasets import Split
from archc.errors import ArchcError
from archc.fileio import atomic_write
from archc.train.checkpoint import FORMAT, VERSION
from archc.train.distributed import Dist
from archc.train.sampler import ShardSampler, eval_shard


@dataclass
class History:
    epochs: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_acc: list[float | None] = field(default_factory=list)  # None: no validation split
    seconds: list[float] = field(default_factory=list)


def batches(split: Split, batch_size: int, rng: np.random.Generator | None):
    """(x, y) batches; each batch comes from one group (one resolution). Shuffled when rng is given."""
    plan = []
    for g, (_, y) in enumerate(split.groups):
        order = rng.permutation(len(y)) if rng is not None else np.arange(len(y))
        plan += [(g, order[i:i + batch_size]) for i in range(0, len(y), batch_size)]
    if rng is not None:
        plan = [plan[i] for i in rng.permutation(len(plan))]
    for g, idx in plan:
        x, y = split.groups[g]
        yield x[idx], y[idx]


def augment(x: np.ndarray, rng: np.random.Generator, shift: int = 2, degrees: float = 10.0) -> np.ndarray:
    """Random shifts (and, for images, rotations) of a batch, by bilinear resampling."""
    n = len(x)
    if x.ndim == 3:  # series: shift along time, zero fill
        s = rng.integers(-shift, shift + 1, n)
        t = np.arange(x.shape[2])[None, :] - s[:, None]
        valid = (t >= 0) & (t < x.shape[2])
        out = np.take_along_axis(x, np.clip(t, 0, x.shape[2] - 1)[:, None, :], axis=2)
        return (out * valid[:, None, :]).astype(x.dtype)
    h, w = x.shape[2:]
    angle = np.deg2rad(rng.uniform(-degrees, degrees, n))
    dy, dx = rng.uniform(-shift, shift, n), rng.uniform(-shift, shift, n)
    yy, xx = np.meshgrid(np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2, indexing="ij")
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    src_y = cos * yy[None] - sin * xx[None] + (h - 1) / 2 - dy[:, None, None]
    src_x = sin * yy[None] + cos * xx[None] + (w - 1) / 2 - dx[:, None, None]
    y0, x0 = np.floor(src_y).astype(int), np.floor(src_x).astype(int)
    fy, fx = src_y - y0, src_x - x0
    out = np.zeros_like(x)
    img = x[:, 0]
    batch = np.arange(n)[:, None, None]
    for oy, ox, wgt in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx), (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):
        ys, xs = y0 + oy, x0 + ox
        inside = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
        out[:, 0] += (wgt * inside * img[batch, np.clip(ys, 0, h - 1), np.clip(xs, 0, w - 1)]).astype(x.dtype)
    return out


def accuracy(trainer: Any, split: Split, batch_size: int = 256,
             dist: Dist | None = None) -> tuple[float, np.ndarray, np.ndarray]:
    """(accuracy, predictions, labels) over a split; NaN for an empty split.

    Under several processes each predicts a disjoint share, the counts are summed (all_reduce), and
    the predictions and labels returned are this process's share.
    """
    dist = dist or Dist()
    preds, labels = [], []
    for x, y in batches(eval_shard(split, dist.rank, dist.world), batch_size, None):
        preds.append(trainer.predict(x).argmax(1))
        labels.append(y)
    p = np.concatenate(preds) if preds else np.array([], dtype=np.int64)
    t = np.concatenate(labels) if labels else np.array([], dtype=np.int64)
    right, count = dist.sum([float((p == t).sum()), float(len(t))])
    return (right / count if count else float("nan")), p, t


def learning_rate(lr: float, schedule: str, step: int, steps: int) -> float:
    """The learning rate at a global step: cosine from lr to 0 over ``steps``, or constant."""
    return lr * 0.5 * (1 + math.cos(math.pi * step / steps)) if schedule == "cosine" else lr


def fit(trainer: Any, train: Split, val: Split, epochs: int, batch_size: int, lr: float, seed: int = 0,
        schedule: str = "cosine", augmentation: bool = False, checkpoint: Path | None = None,
        progress: bool = True, log: Any = print, *, dist: Dist | None = None, meta: dict | None = None,
        resume: tuple[dict, dict] | None = None, inputs: tuple = (), on_epoch: Any = None) -> History:
    """Train to epoch ``epochs`` and end with the weights of the best validation epoch.

    ``batch_size`` is the global batch: each of ``dist.world`` processes trains on batch/K. After
    every epoch ``checkpoint`` (written by rank 0 only, atomically) holds the best weights and the
    whole state of the run: ``resume`` (from ``trainer.resume``) continues from it exactly.
    """
    dist = dist or Dist()
    if batch_size % dist.world:
        raise ValueError(f"batch size {batch_size} does not divide among {dist.world} processes")
    rng = np.random.default_rng(seed if dist.rank == 0 else [seed, dist.rank])
    sampler = ShardSampler(train, batch_size // dist.world, dist.world, dist.rank, seed)
    steps = epochs * len(sampler)
    history, step, best, best_epoch, best_weights, done = History(), 0, -1.0, 0, None, 0
    if resume is not None:
        state, best_weights = resume
        done, step, best, best_epoch = state["epoch"], state["step"], state["best"], state["best_epoch"]
        history = History(**{k: [_number(v) for v in vs] for k, vs in state["history"].items()})
        ranks = state["rng"]
        if dist.rank < len(ranks):
            rng.bit_generator.state = ranks[dist.rank]["loop"]
            trainer.set_rng_state(ranks[dist.rank])
        if len(ranks) < dist.world:
            log(f"note: the checkpoint has the random states of {len(ranks)} process(es); processes "
                f"{len(ranks)}..{dist.world - 1} start fresh streams")
    for epoch in range(done + 1, epochs + 1):
        start = time.perf_counter()
        total_loss, correct, seen = 0.0, 0, 0
        sampler.set_epoch(epoch)
        bar = _bar(len(sampler), f"epoch {epoch}/{epochs}", progress and dist.main)
        for i, (g, idx) in enumerate(sampler.plan(), 1):
            x, y = train.groups[g][0][idx], train.groups[g][1][idx]
            trainer.set_lr(learning_rate(lr, schedule, step, steps))
            if augmentation:
                x = augment(x, rng)
            with np.errstate(over="ignore", invalid="ignore"):  # a diverging step is reported just below
                loss, ok = trainer.train_batch(x, y)
            if not math.isfinite(loss):
                if bar is not None:
                    bar.close()
                raise _diverged(loss, epoch, i, len(sampler), lr,
                                checkpoint if epoch > done + 1 else None)
            total_loss += loss * len(y)
            correct += ok
            seen += len(y)
            step += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.3f}")
        if bar is not None:
            bar.close()
        total_loss, correct, seen = dist.sum([total_loss, correct, seen])
        trainer.sync()
        val_acc = accuracy(trainer, val, dist=dist)[0] if len(val) else None
        score = val_acc if val_acc is not None else correct / seen
        if score > best:
            best, best_epoch, best_weights = score, epoch, trainer.weights()
        history.epochs.append(epoch)
        history.train_loss.append(total_loss / seen)
        history.train_acc.append(correct / seen)
        history.val_acc.append(val_acc)
        history.seconds.append(time.perf_counter() - start)
        rngs = dist.gather_text(json.dumps({"loop": rng.bit_generator.state, **trainer.rng_state()}))
        if checkpoint is not None and dist.main:
            record = {"format": FORMAT, "version": VERSION, **(meta or {}), "epoch": epoch, "epochs": epochs,
                      "step": step, "best": best, "best_epoch": best_epoch, "world": dist.world,
                      "rng": [json.loads(t) for t in rngs],
                      "history": {k: [_json_number(v) for v in vs] for k, vs in asdict(history).items()}}
            trainer.save(checkpoint, record, best_weights, run=True, inputs=inputs)
        val_text = f", val acc {val_acc:.4f}" if val_acc is not None else ""
        log(f"epoch {epoch}/{epochs}: loss {total_loss / seen:.4f}, train acc {correct / seen:.4f}{val_text} "
            f"({history.seconds[-1]:.2f} s)")
        if on_epoch is not None:
            on_epoch(epoch)
    if best_weights is not None:
        trainer.load_weights(best_weights)  # end with the best epoch's weights
    return history


def _diverged(loss: float, epoch: int, step: int, steps: int, lr: float, kept: Path | None) -> ArchcError:
    """The error of a run whose loss is no longer a finite number (its weights are then useless)."""
    where = f"{kept} keeps the best weights of the epochs before" if kept else "this run wrote no checkpoint"
    return ArchcError(f"epoch {epoch}, step {step} of {steps}: the training loss is {loss}, not a finite number; "
                      f"training stopped ({where})",
                      hint=f"the learning rate is probably too large: try a smaller --lr (this run: {lr:g})")


def _json_number(v: float | None) -> float | str | None:
    """JSON has no NaN or infinity: such a (measured) value is kept as its name."""
    return v if v is None or math.isfinite(v) else str(v)


def _number(v: float | str | None) -> float | None:
    return float(v) if isinstance(v, str) else v


def _bar(total: int, desc: str, enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True)


def plot(history: History, path: Path, title: str, inputs: tuple = ()) -> Path:
    """Loss and accuracy per epoch, as an image (matplotlib; format from the suffix, default PNG),
    written atomically to exactly ``path``, never over one of ``inputs``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    a.plot(history.epochs, history.train_loss, marker="o")
    a.set(xlabel="epoch", ylabel="train loss", title="loss")
    b.plot(history.epochs, history.train_acc, marker="o", label="train")
    if any(v is not None for v in history.val_acc):
        val = [float("nan") if v is None else v for v in history.val_acc]
        b.plot(history.epochs, val, marker="o", label="validation")
    b.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    b.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fmt = Path(path).suffix[1:].lower()
    fmt = fmt if fmt in fig.canvas.get_supported_filetypes() else "png"
    try:
        return atomic_write(path, lambda f: fig.savefig(f, dpi=110, format=fmt), inputs=inputs, what="plot")
    finally:
        plt.close(fig)


def confusion(pred: np.ndarray, true: np.ndarray, classes: int) -> np.ndarray:
    m = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(m, (true, pred), 1)
    return m
