"""Modules for the ops torch.nn lacks. This file is also copied verbatim (the classes a
network needs) into emitted source, so it imports only torch."""

import torch
from torch import nn


class Upsample(nn.Module):
    """Zero insertion: factor-1 zeros between neighbours along each spatial dim, W -> k(W-1)+1."""

    def __init__(self, factor: int, dims: int) -> None:
        super().__init__()
        self.factor = factor
        self.dims = dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = self.factor
        for axis in range(2, 2 + self.dims):
            size = x.shape[axis]
            x = x.unsqueeze(axis + 1)
            pad = [0, 0] * (x.dim() - axis - 2) + [0, k - 1]
            x = nn.functional.pad(x, pad).flatten(axis, axis + 1)
            x = x.narrow(axis, 0, k * (size - 1) + 1)
        return x

    def extra_repr(self) -> str:
        return f"factor={self.factor}, dims={self.dims}"


class Downsample(nn.Module):
    """Keep indices 0, k, 2k, ... along each spatial dim: W -> ceil(W/k)."""

    def __init__(self, factor: int, dims: int) -> None:
        super().__init__()
        self.factor = factor
        self.dims = dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.dims == 1:
            return x[:, :, :: self.factor]
        return x[:, :, :: self.factor, :: self.factor]

    def extra_repr(self) -> str:
        return f"factor={self.factor}, dims={self.dims}"


class GlobalPool(nn.Module):
    """Max or mean over every spatial position: (N, C, *size) -> (N, C)."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(2)
        if self.mode == "max":
            return flat.max(dim=2).values
        return flat.mean(dim=2)

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}"
