"""Optimizers over a NumpyModel's named parameters: SGD (with momentum) and Adam."""

from __future__ import annotations

import numpy as np


class SGD:
    """p -= lr * (g + wd p), with optional (PyTorch-style) momentum."""

    def __init__(self, model, lr: float = 0.01, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        self.model, self.lr, self.momentum, self.weight_decay = model, lr, momentum, weight_decay
        self.velocity: dict[str, np.ndarray] = {}

    def step(self) -> None:
        params, grads = self.model.parameters(), self.model.gradients()
        for name, p in params.items():
            g = grads[name] + self.weight_decay * p if self.weight_decay else grads[name]
            if self.momentum:
                v = self.velocity.get(name)
                v = g.copy() if v is None else self.momentum * v + g
                self.velocity[name] = v
                g = v
            p -= (self.lr * g).astype(p.dtype, copy=False)

    def zero_grad(self) -> None:
        self.model.zero_grad()


class Adam:
    """Adam (Kingma & Ba) with bias correction; weight decay added to the gradient (as torch.optim.Adam)."""

    def __init__(self, model, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        self.model, self.lr, self.betas, self.eps, self.weight_decay = model, lr, betas, eps, weight_decay
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}
        self.t = 0

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        params, grads = self.model.parameters(), self.model.gradients()
        for name, p in params.items():
            g = grads[name] + self.weight_decay * p if self.weight_decay else grads[name]
            m = self.m[name] = b1 * self.m.get(name, 0) + (1 - b1) * g
            v = self.v[name] = b2 * self.v.get(name, 0) + (1 - b2) * g * g
            m_hat = m / (1 - b1**self.t)
            v_hat = v / (1 - b2**self.t)
            p -= (self.lr * m_hat / (np.sqrt(v_hat) + self.eps)).astype(p.dtype, copy=False)

    def zero_grad(self) -> None:
        self.model.zero_grad()
