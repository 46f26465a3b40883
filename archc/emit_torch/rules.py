"""One rule per op: how PyTorch computes it, as data that both builds the live module and prints
its source, so `archc.compile(..., target="torch")` and `archc emit` cannot disagree.

A rule returns one of:
- ``Module(cls, kwargs)``: a child module, ``nn.Conv2d`` or a helper class of modules.py;
- ``Infix(symbol)``: an operator on the inputs, ``a + b``;
- ``Call(fn, kwargs, listed, index)``: a torch function, ``torch.cat([a, b], dim=1)``;
- ``Parameter(shape, init, symbol)``: a parameter owned by the enclosing module, ``x * self.scale``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from archc.codegen import literal

OPERATORS = {"+": operator.add, "*": operator.mul}


@dataclass(frozen=True)
class Module:
    cls: str
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Infix:
    symbol: str

    def live(self) -> Callable:
        return OPERATORS[self.symbol]

    def text(self, args: list[str]) -> str:
        return f" {self.symbol} ".join(args)


def torch_attr(path: str) -> Any:
    """``torch.cat`` -> the function, found attribute by attribute (nothing is evaluated)."""
    import torch

    obj: Any = torch
    for part in path.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class Call:
    fn: str  # a dotted name under torch: "torch.cat"
    kwargs: dict[str, Any] = field(default_factory=dict)
    listed: bool = False  # the inputs are passed as one list
    index: int | None = None  # take this item of the result

    def live(self) -> Callable:
        fn, kwargs, index = torch_attr(self.fn), dict(self.kwargs), self.index
        if self.listed:
            return lambda *xs: fn(list(xs), **kwargs)
        if index is not None:
            return lambda *xs: fn(*xs, **kwargs)[index]
        return lambda *xs: fn(*xs, **kwargs)

    def text(self, args: list[str]) -> str:
        inputs = f"[{', '.join(args)}]" if self.listed else ", ".join(args)
        kw = "".join(f", {k}={literal(v)}" for k, v in self.kwargs.items())
        return f"{self.fn}({inputs}{kw})" + (f"[{self.index}]" if self.index is not None else "")


@dataclass(frozen=True)
class Parameter:
    shape: tuple
    init: float
    symbol: str = "*"

    def live(self) -> Callable:
        return OPERATORS[self.symbol]

    def text(self, args: list[str], attr: str) -> str:
        from archc.emit_torch.tree import access

        return f"{args[0]} {self.symbol} {access(attr)}"


Impl = Module | Infix | Call | Parameter
SPATIAL = ("kernel_size", "stride", "padding", "dilation", "output_padding", "output_size")


def constructor_kwargs(impl: Module) -> dict[str, Any]:
    """The arguments a module is built with: per-dim tuples of one value as that int, as a person writes them
    (torch takes both; the in-memory and the emitted module then print the same)."""
    return {k: v[0] if k in SPATIAL and isinstance(v, tuple) and v and all(x == v[0] for x in v) else v
            for k, v in impl.kwargs.items()}
TorchRule = Callable[[dict[str, Any], list[tuple]], Impl]
RULES: dict[str, TorchRule] = {}


def rule(*ops: str) -> Callable[[TorchRule], TorchRule]:
    """Declare the torch rule of ``ops`` (each op once)."""
    def add(fn: TorchRule) -> TorchRule:
        for op in ops:
            if op in RULES:
                raise ValueError(f"torch rule for {op!r} declared twice")
            RULES[op] = fn
        return fn
    return add


def _spatial(ins: list[tuple]) -> int:
    return len(ins[0]) - 2


RULES["identity"] = lambda a, ins: Module("nn.Identity")
RULES["relu"] = lambda a, ins: Module("nn.ReLU")
RULES["relu6"] = lambda a, ins: Module("nn.ReLU6")
RULES["tanh"] = lambda a, ins: Module("nn.Tanh")
RULES["sigmoid"] = lambda a, ins: Module("nn.Sigmoid")
RULES["leaky_relu"] = lambda a, ins: Module("nn.LeakyReLU", {"negative_slope": a["negative_slope"]})
RULES["elu"] = lambda a, ins: Module("nn.ELU", {"alpha": a["alpha"]})
RULES["gelu"] = lambda a, ins: Module("nn.GELU", {"approximate": a["approximate"]})
RULES["softmax"] = lambda a, ins: Module("nn.Softmax", {"dim": a["dim"]})
RULES["log_softmax"] = lambda a, ins: Module("nn.LogSoftmax", {"dim": a["dim"]})
RULES["dropout"] = lambda a, ins: Module("nn.Dropout", {"p": a["p"]})
RULES["flatten"] = lambda a, ins: Module("nn.Flatten", {"start_dim": a["start_dim"]})
RULES["linear"] = lambda a, ins: Module("nn.Linear", {"in_features": ins[0][-1], "out_features": a["out_features"],
                                                      "bias": a["bias"]})
RULES["hardtanh"] = lambda a, ins: Module("nn.Hardtanh", {"min_val": a["min_val"], "max_val": a["max_val"]})
RULES["silu"] = lambda a, ins: Module("nn.SiLU")
RULES["hardswish"] = lambda a, ins: Module("nn.Hardswish")
RULES["hardsigmoid"] = lambda a, ins: Module("nn.Hardsigmoid")
RULES["mish"] = lambda a, ins: Module("nn.Mish")
RULES["softplus"] = lambda a, ins: Module("nn.Softplus", {"beta": a["beta"], "threshold": a["threshold"]})
RULES["prelu"] = lambda a, ins: Module("nn.PReLU", {"num_parameters": a["num_parameters"], "init": a["init"]})
RULES["dropout1d"] = lambda a, ins: Module("nn.Dropout1d", {"p": a["p"]})
RULES["dropout2d"] = lambda a, ins: Module("nn.Dropout2d", {"p": a["p"]})
RULES["stochastic_depth"] = lambda a, ins: Module("StochasticDepth", {"p": a["p"], "mode": a["mode"]})
RULES["permute"] = lambda a, ins: Module("Permute", {"dims": a["dims"]})
RULES["channel_shuffle"] = lambda a, ins: Module("nn.ChannelShuffle", {"groups": a["groups"]})
RULES["chunk"] = lambda a, ins: Call("torch.chunk", {"chunks": a["chunks"], "dim": a["dim"]}, index=a["index"])
RULES["add"] = lambda a, ins: Infix("+")
RULES["mul"] = lambda a, ins: Infix("*")
RULES["concat"] = lambda a, ins: Call("torch.cat", {"dim": a["dim"]}, listed=True)


@rule("conv1d", "conv2d")
def _conv(a, ins):
    return Module(f"nn.Conv{_spatial(ins)}d", {
        "in_channels": ins[0][1], "out_channels": a["out_channels"], "kernel_size": a["kernel_size"],
        "stride": a["stride"], "padding": a["padding"], "dilation": a["dilation"], "groups": a["groups"],
        "bias": a["bias"]})


@rule("conv_transpose1d", "conv_transpose2d")
def _conv_transpose(a, ins):
    return Module(f"nn.ConvTranspose{_spatial(ins)}d", {
        "in_channels": ins[0][1], "out_channels": a["out_channels"], "kernel_size": a["kernel_size"],
        "stride": a["stride"], "padding": a["padding"], "output_padding": a["output_padding"],
        "groups": a["groups"], "bias": a["bias"], "dilation": a["dilation"]})


@rule("maxpool1d", "maxpool2d")
def _maxpool(a, ins):
    return Module(f"nn.MaxPool{_spatial(ins)}d", {"kernel_size": a["kernel_size"], "stride": a["stride"],
                                                  "padding": a["padding"], "ceil_mode": a["ceil_mode"]})


@rule("meanpool1d", "meanpool2d")
def _meanpool(a, ins):
    return Module(f"nn.AvgPool{_spatial(ins)}d", {"kernel_size": a["kernel_size"], "stride": a["stride"],
                                                  "padding": a["padding"], "ceil_mode": a["ceil_mode"],
                                                  "count_include_pad": a["count_include_pad"]})


@rule("adaptive_maxpool1d", "adaptive_maxpool2d")
def _adaptive_max(a, ins):
    return Module(f"nn.AdaptiveMaxPool{_spatial(ins)}d", {"output_size": a["output_size"]})


@rule("adaptive_meanpool1d", "adaptive_meanpool2d")
def _adaptive_mean(a, ins):
    return Module(f"nn.AdaptiveAvgPool{_spatial(ins)}d", {"output_size": a["output_size"]})


@rule("batchnorm1d", "batchnorm2d")
def _batchnorm(a, ins):
    return Module(f"nn.BatchNorm{1 if len(ins[0]) < 4 else 2}d", {
        "num_features": ins[0][1], "eps": a["eps"], "momentum": a["momentum"], "affine": a["affine"]})


@rule("layernorm")
def _layernorm(a, ins):
    return Module("nn.LayerNorm", {"normalized_shape": tuple(ins[0][-a["ndim"]:]), "eps": a["eps"],
                                   "elementwise_affine": a["elementwise_affine"]})


@rule("upsample1d", "upsample2d")
def _upsample(a, ins):
    return Module("Upsample", {"factor": a["factor"], "dims": _spatial(ins)})


@rule("downsample1d", "downsample2d")
def _downsample(a, ins):
    return Module("Downsample", {"factor": a["factor"], "dims": _spatial(ins)})


@rule("global_pool")
def _global_pool(a, ins):
    return Module("GlobalPool", {"mode": a["mode"], "keepdim": a["keepdim"]})


@rule("resize1d", "resize2d")
def _resize(a, ins):
    kwargs: dict[str, Any] = {"size": a["size"]} if a["size"] else {"scale_factor": float(a["scale"])}
    kwargs["mode"] = a["mode"]
    if a["mode"] != "nearest":
        kwargs["align_corners"] = a["align_corners"]
    return Module("nn.Upsample", kwargs)


@rule("groupnorm")
def _groupnorm(a, ins):
    return Module("nn.GroupNorm", {"num_groups": a["num_groups"], "num_channels": ins[0][1], "eps": a["eps"],
                                   "affine": a["affine"]})


@rule("instancenorm1d", "instancenorm2d")
def _instancenorm(a, ins):
    return Module(f"nn.InstanceNorm{_spatial(ins)}d", {"num_features": ins[0][1], "eps": a["eps"],
                                                       "affine": a["affine"]})


@rule("layernorm2d")
def _layernorm2d(a, ins):
    return Module("LayerNorm2d", {"normalized_shape": ins[0][1], "eps": a["eps"], "elementwise_affine": a["affine"]})


@rule("layer_scale")
def _layer_scale(a, ins):
    return Parameter((ins[0][1], *(1,) * (len(ins[0]) - 2)), a["init"])


@rule("pad")
def _pad(a, ins):
    n = _spatial(ins)
    sides = a["amount"] * n if len(a["amount"]) == 1 else a["amount"]
    return Module("Pad", {"sides": tuple(sides), "channels": a["channels"], "mode": a["mode"], "value": a["value"]})
