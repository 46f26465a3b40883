"""The linear layer."""

from __future__ import annotations

import numpy as np

from archc.emit_numpy.base import Layer, register


class Linear(Layer):
    """Z = A W^T + b over the last dim.

    A: (N, *, in_features)
    Z: (N, *, out_features)
    """

    def forward(self, A: np.ndarray) -> np.ndarray:
        self.A = A
        Z = A @ self.params["weight"].T
        if "bias" in self.params:
            Z += self.params["bias"]
        return Z

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        W = self.params["weight"]
        rows = dLdZ.reshape(-1, W.shape[0])
        self.grads["weight"] += rows.T @ self.A.reshape(-1, W.shape[1])
        if "bias" in self.params:
            self.grads["bias"] += rows.sum(axis=0)
        return dLdZ @ W if self.input_grad else None


register("linear", Linear)
