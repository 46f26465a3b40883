"""Optimizers over a NumpyModel's named parameters: SGD (with momentum) and Adam.

Each has ``state_dict()`` / ``load_state_dict()``: the hyper-parameters and the per-parameter
state (SGD's velocity; Adam's m, v and step count t), as plain numbers and arrays, so that a run
resumed from a checkpoint takes exactly the steps the uninterrupted run would have taken.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from archc.errors import EmitError


def _copy(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in arrays.items()}


def _checked(model: Any, slot: str, arrays: dict[str, Any]) -> dict[str, np.ndarray]:
    """Copies of ``arrays``, refusing a name or shape the model's parameters do not have."""
    params = model.parameters()
    out: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if name not in params:
            raise EmitError(f"optimizer state '{slot}' names '{name}', which is not a parameter of "
                            f"{model.graph.name}")
        arr = np.array(value, dtype=params[name].dtype)
        if arr.shape != params[name].shape:
            raise EmitError(f"optimizer state '{slot}' of '{name}': shape {arr.shape}, the parameter's is "
                            f"{params[name].shape}")
        out[name] = arr
    return out


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

    def state_dict(self) -> dict[str, Any]:
        """Hyper-parameters and a copy of the velocity of every parameter that has one."""
        return {"type": "sgd", "lr": self.lr, "momentum": self.momentum, "weight_decay": self.weight_decay,
                "velocity": _copy(self.velocity)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (the arrays are copied)."""
        if state.get("type") != "sgd":
            raise EmitError(f"optimizer state is for {state.get('type')!r}, not SGD")
        self.lr, self.momentum = float(state["lr"]), float(state["momentum"])
        self.weight_decay = float(state["weight_decay"])
        self.velocity = _checked(self.model, "velocity", state["velocity"])


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

    def state_dict(self) -> dict[str, Any]:
        """Hyper-parameters, the step count t, and copies of the moment estimates m and v."""
        return {"type": "adam", "lr": self.lr, "betas": list(self.betas), "eps": self.eps,
                "weight_decay": self.weight_decay, "t": self.t, "m": _copy(self.m), "v": _copy(self.v)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (the arrays are copied)."""
        if state.get("type") != "adam":
            raise EmitError(f"optimizer state is for {state.get('type')!r}, not Adam")
        self.lr, self.eps, self.weight_decay = float(state["lr"]), float(state["eps"]), float(state["weight_decay"])
        b1, b2 = state["betas"]
        self.betas = (float(b1), float(b2))
        self.t = int(state["t"])
        self.m = _checked(self.model, "m", state["m"])
        self.v = _checked(self.model, "v", state["v"])
