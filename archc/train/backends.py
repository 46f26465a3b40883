"""The small interface the training loop drives, one adapter per backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from archc.errors import ArchcError


class NumpyTrainer:
    """Softmax cross-entropy and an optimizer around a NumpyModel."""

    suffix = ".npz"

    def __init__(self, typed: Any, optimizer: str, lr: float, weight_decay: float, seed: int) -> None:
        from archc.emit_numpy import SGD, Adam, SoftmaxCrossEntropy, build_numpy

        self.model = build_numpy(typed, seed=seed)
        self.loss = SoftmaxCrossEntropy()
        if optimizer == "adam":
            self.opt: Any = Adam(self.model, lr=lr, weight_decay=weight_decay)
        else:
            self.opt = SGD(self.model, lr=lr, momentum=0.9 if optimizer == "momentum" else 0.0,
                           weight_decay=weight_decay)

    def set_lr(self, lr: float) -> None:
        self.opt.lr = lr

    def train_batch(self, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        self.model.train()
        self.opt.zero_grad()
        logits = self.model.forward(x)
        loss = self.loss.forward(logits, y)
        self.model.backward(self.loss.backward())
        self.opt.step()
        return loss, int((logits.argmax(1) == y).sum())

    def predict(self, x: np.ndarray) -> np.ndarray:
        self.model.eval()
        return self.model.forward(x)

    def save(self, path: Path) -> None:
        self.model.save(path)

    def load(self, path: Path) -> None:
        self.model.load(path)


class TorchTrainer:
    """Cross-entropy and a torch.optim optimizer around the compiled nn.Module."""

    suffix = ".pt"

    def __init__(self, typed: Any, optimizer: str, lr: float, weight_decay: float, seed: int) -> None:
        import torch

        from archc.emit_torch import build_torch

        self.torch = torch
        torch.manual_seed(seed)
        self.model = build_torch(typed, seed=seed)
        params = self.model.parameters()
        if optimizer == "adam":
            self.opt: Any = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
        else:
            self.opt = torch.optim.SGD(params, lr=lr, momentum=0.9 if optimizer == "momentum" else 0.0,
                                       weight_decay=weight_decay)

    def set_lr(self, lr: float) -> None:
        for group in self.opt.param_groups:
            group["lr"] = lr

    def train_batch(self, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        torch = self.torch
        self.model.train()
        self.opt.zero_grad()
        logits = self.model(torch.from_numpy(x))
        target = torch.from_numpy(y)
        loss = torch.nn.functional.cross_entropy(logits, target)
        loss.backward()
        self.opt.step()
        return loss.item(), int((logits.argmax(1) == target).sum())

    def predict(self, x: np.ndarray) -> np.ndarray:
        self.model.eval()
        with self.torch.no_grad():
            return self.model(self.torch.from_numpy(x)).numpy()

    def save(self, path: Path) -> None:
        self.torch.save(self.model.state_dict(), path)

    def load(self, path: Path) -> None:
        try:
            state = self.torch.load(path, weights_only=True)
        except Exception as e:
            raise ArchcError(f"{path}: cannot read a torch checkpoint: {e}") from None
        self.model.load_state_dict(state)


def make_trainer(backend: str, typed: Any, optimizer: str = "adam", lr: float = 1e-3, weight_decay: float = 0.0,
                 seed: int = 0) -> NumpyTrainer | TorchTrainer:
    last = typed.graph.node(typed.graph.outputs[0]).op
    if last in ("softmax", "log_softmax"):
        raise ArchcError(f"{typed.graph.name} ends in {last}; archc train applies softmax cross-entropy to logits",
                         hint="train a copy of the spec without the final softmax")
    if backend == "numpy":
        return NumpyTrainer(typed, optimizer, lr, weight_decay, seed)
    if backend == "torch":
        try:
            return TorchTrainer(typed, optimizer, lr, weight_decay, seed)
        except ImportError:
            raise ArchcError("the torch backend needs PyTorch", hint="pip install 'archc[torch]'") from None
    raise ArchcError(f"unknown backend '{backend}'", hint="numpy or torch")
