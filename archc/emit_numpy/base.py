"""The NumPy layer interface and its registry.

Each op has one small class with ``forward`` and ``backward`` side by side and
the course's names for cached values: ``A`` (input), ``Z`` (output),
``dLdZ``, ``dLdA``, ``dLdW``, ``dLdb``. Gradients of parameters are kept
unaveraged (summed over the batch), in ``grads``, under the shared names.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

LAYERS: dict[str, type[Layer]] = {}


def register(op: str, cls: type[Layer]) -> type[Layer]:
    """Declare ``cls`` as the NumPy implementation of registry op ``op``."""
    if op in LAYERS:
        raise ValueError(f"NumPy layer for {op!r} registered twice")
    LAYERS[op] = cls
    return cls


class Layer:
    """A layer: ``forward(A) -> Z`` and ``backward(dLdZ) -> dLdA``.

    ``input_grad`` False (set by the model for a layer that reads only the network's inputs, when the
    caller does not want dL/dx): a layer may then skip dLdA and return None, as autograd skips the
    gradient of an input that does not require one.
    """

    input_grad = True

    def __init__(self, attrs: dict[str, Any], in_shapes: list[tuple], param_shapes: dict[str, tuple],
                 buffer_shapes: dict[str, tuple], dtype: np.dtype, rng: np.random.Generator) -> None:
        self.attrs = attrs
        self.dtype = dtype
        self.training = True
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.init_params(param_shapes, buffer_shapes, rng)
        self.zero_grad()

    def init_params(self, shapes: dict[str, tuple], buffers: dict[str, tuple], rng: np.random.Generator) -> None:
        """PyTorch's default initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias."""
        if "weight" in shapes:
            fan_in = self.fan_in(shapes["weight"])
            bound = 1.0 / math.sqrt(fan_in) if fan_in else 0.0
            for name, shape in shapes.items():
                self.params[name] = rng.uniform(-bound, bound, size=shape).astype(self.dtype)

    @staticmethod
    def fan_in(weight_shape: tuple) -> int:
        return int(np.prod(weight_shape[1:]))

    def zero_grad(self) -> None:
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def forward(self, A: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        raise NotImplementedError
