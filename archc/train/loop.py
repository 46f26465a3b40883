"""The training loop, written once for every backend: shuffled batches (never mixing
resolutions), optional augmentation, a progress bar, per-epoch validation, a cosine learning
rate schedule, a checkpoint of the best validation accuracy, and a history to plot."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from archc.data.datasets import Split


@dataclass
class History:
    epochs: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
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


def accuracy(trainer: Any, split: Split, batch_size: int = 256) -> tuple[float, np.ndarray, np.ndarray]:
    """(accuracy, predictions, labels) over a split."""
    preds, labels = [], []
    for x, y in batches(split, batch_size, None):
        preds.append(trainer.predict(x).argmax(1))
        labels.append(y)
    if not preds:
        return float("nan"), np.array([]), np.array([])
    p, t = np.concatenate(preds), np.concatenate(labels)
    return float((p == t).mean()), p, t


def fit(trainer: Any, train: Split, val: Split, epochs: int, batch_size: int, lr: float, seed: int = 0,
        schedule: str = "cosine", augmentation: bool = False, checkpoint: Path | None = None,
        progress: bool = True, log: Any = print) -> History:
    """Train for ``epochs``; keeps the weights of the best validation epoch in ``checkpoint``."""
    rng = np.random.default_rng(seed)
    history = History()
    steps = epochs * sum(math.ceil(len(y) / batch_size) for _, y in train.groups)
    step, best = 0, -1.0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        total_loss, correct, seen = 0.0, 0, 0
        n_batches = sum(math.ceil(len(y) / batch_size) for _, y in train.groups)
        bar = _bar(n_batches, f"epoch {epoch}/{epochs}", progress)
        for x, y in batches(train, batch_size, rng):
            if schedule == "cosine":
                trainer.set_lr(lr * 0.5 * (1 + math.cos(math.pi * step / steps)))
            if augmentation:
                x = augment(x, rng)
            loss, ok = trainer.train_batch(x, y)
            total_loss += loss * len(y)
            correct += ok
            seen += len(y)
            step += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.3f}")
        if bar is not None:
            bar.close()
        val_acc = accuracy(trainer, val)[0] if len(val) else float("nan")
        history.epochs.append(epoch)
        history.train_loss.append(total_loss / seen)
        history.train_acc.append(correct / seen)
        history.val_acc.append(val_acc)
        history.seconds.append(time.perf_counter() - start)
        log(f"epoch {epoch}: loss {total_loss / seen:.4f}, train acc {correct / seen:.4f}, "
            f"val acc {val_acc:.4f} ({history.seconds[-1]:.1f} s)")
        score = val_acc if not math.isnan(val_acc) else correct / seen
        if checkpoint is not None and score > best:
            best = score
            trainer.save(checkpoint)
    if checkpoint is not None:
        trainer.load(checkpoint)  # end with the best epoch's weights
    return history


def _bar(total: int, desc: str, enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True)


def plot(history: History, path: Path, title: str) -> None:
    """Loss and accuracy per epoch, as an image (matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    a.plot(history.epochs, history.train_loss, marker="o")
    a.set(xlabel="epoch", ylabel="train loss", title="loss")
    b.plot(history.epochs, history.train_acc, marker="o", label="train")
    if not all(math.isnan(v) for v in history.val_acc):
        b.plot(history.epochs, history.val_acc, marker="o", label="validation")
    b.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    b.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def confusion(pred: np.ndarray, true: np.ndarray, classes: int) -> np.ndarray:
    m = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(m, (true, pred), 1)
    return m
