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


def keep_spec_names(module: nn.Module, names: dict[str, str]) -> None:
    """State-dict keys keep the spec's names where a child's attribute had to be renamed.

    ``names`` maps attribute -> spec name (e.g. ``block1_0`` -> ``block1-0``); saving writes the
    spec's names, in order, and loading accepts them.
    """
    def rename(key: str, prefix: str, table: dict[str, str]) -> str:
        head, dot, rest = key[len(prefix):].partition(".")
        return prefix + table[head] + dot + rest if key.startswith(prefix) and head in table else key

    def on_save(mod: nn.Module, state: dict, prefix: str, meta: object) -> None:
        items = [(rename(k, prefix, names), v) for k, v in state.items()]
        state.clear()
        state.update(items)

    back = {spec: attr for attr, spec in names.items()}

    def on_load(state: dict, prefix: str, *args: object) -> None:
        for k in [k for k in state if rename(k, prefix, back) != k]:
            state[rename(k, prefix, back)] = state.pop(k)

    module._register_state_dict_hook(on_save)
    module._register_load_state_dict_pre_hook(on_load)
