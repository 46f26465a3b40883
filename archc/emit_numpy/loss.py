"""Losses: softmax cross-entropy and mean squared error (averaged over the batch)."""

from __future__ import annotations

import numpy as np


class SoftmaxCrossEntropy:
    """L = mean over the batch of -log softmax(A)[label]; stable for logits of any size.

    A: (N, classes) logits; Y: (N,) class indices or (N, classes) one-hot / probabilities
    """

    def forward(self, A: np.ndarray, Y: np.ndarray) -> float:
        A = np.asarray(A)
        Y = np.asarray(Y)
        if Y.ndim == 1:
            Y = np.eye(A.shape[1], dtype=A.dtype)[Y.astype(int)]
        self.N = A.shape[0]
        shifted = A - A.max(axis=1, keepdims=True)
        log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.softmax = np.exp(log_softmax)
        self.Y = Y.astype(A.dtype, copy=False)
        return float(-(self.Y * log_softmax).sum() / self.N)

    def backward(self) -> np.ndarray:
        return (self.softmax - self.Y) / self.N


class MSELoss:
    """L = mean over every element of (A - Y)^2."""

    def forward(self, A: np.ndarray, Y: np.ndarray) -> float:
        self.diff = np.asarray(A) - np.asarray(Y)
        return float((self.diff**2).mean())

    def backward(self) -> np.ndarray:
        return 2 * self.diff / self.diff.size
