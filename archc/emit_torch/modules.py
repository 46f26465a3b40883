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
    """Max or mean over every spatial position: (N, C, *size) -> (N, C), or (N, C, 1, ...) with keepdim."""

    def __init__(self, mode: str, keepdim: bool = False) -> None:
        super().__init__()
        self.mode = mode
        self.keepdim = keepdim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(2)
        out = flat.max(dim=2).values if self.mode == "max" else flat.mean(dim=2)
        return out.reshape(out.shape + (1,) * (x.dim() - 2)) if self.keepdim else out

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}, keepdim={self.keepdim}"


class Pad(nn.Module):
    """Pad the spatial dims by (before, after) per dim (constant, reflect or replicate) and the channels
    with the constant (zeros for reflect and replicate)."""

    def __init__(self, sides: tuple, channels: tuple = (0, 0), mode: str = "constant", value: float = 0.0) -> None:
        super().__init__()
        self.sides, self.channels, self.mode, self.value = sides, channels, mode, value
        # the pad amounts list the last dim first; flat lists of ints, so that the module scripts
        self.spatial: list[int] = [int(p) for b, e in reversed(sides) for p in (b, e)]
        self.channel_pad: list[int] = [0, 0] * len(sides) + [int(c) for c in channels]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "constant":
            return nn.functional.pad(x, self.spatial + self.channel_pad[-2:], value=self.value)
        if self.channel_pad[-2] or self.channel_pad[-1]:
            x = nn.functional.pad(x, self.channel_pad)
        return nn.functional.pad(x, self.spatial, mode=self.mode)

    def extra_repr(self) -> str:
        return f"sides={self.sides}, channels={self.channels}, mode={self.mode!r}, value={self.value}"


class Permute(nn.Module):
    """Reorder the dims (as torchvision.ops.Permute)."""

    def __init__(self, dims: tuple) -> None:
        super().__init__()
        self.dims = list(dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.permute(x, self.dims)

    def extra_repr(self) -> str:
        return f"dims={self.dims}"


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of each position of an (N, C, *spatial) tensor (ConvNeXt's)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.movedim(1, -1)
        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.movedim(-1, 1)


class StochasticDepth(nn.Module):
    """In training, zero the input per example ("row") or for the whole batch ("batch") with probability p,
    scaling what survives by 1/(1-p); the identity in eval (as torchvision.ops.StochasticDepth)."""

    def __init__(self, p: float, mode: str = "row") -> None:
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        shape = [x.shape[0]] + [1] * (x.dim() - 1) if self.mode == "row" else [1] * x.dim()
        keep = torch.empty(shape, dtype=x.dtype, device=x.device).bernoulli_(1.0 - self.p)
        if self.p < 1.0:
            keep = keep / (1.0 - self.p)
        return x * keep

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode!r}"


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
