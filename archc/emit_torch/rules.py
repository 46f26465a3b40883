"""One rule per op: the torch.nn module that implements it, as (class name, arguments).

The same rule builds the in-memory module and prints the emitted source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TorchRule = Callable[[dict[str, Any], list[tuple]], tuple[str, dict[str, Any]]]
RULES: dict[str, TorchRule] = {}


def rule(*ops: str) -> Callable[[TorchRule], TorchRule]:
    def add(fn: TorchRule) -> TorchRule:
        for op in ops:
            RULES[op] = fn
        return fn
    return add


def _plain(cls: str) -> TorchRule:
    return lambda a, ins: (f"nn.{cls}", {})


RULES["identity"] = _plain("Identity")
RULES["relu"] = _plain("ReLU")
RULES["tanh"] = _plain("Tanh")
RULES["sigmoid"] = _plain("Sigmoid")
RULES["leaky_relu"] = lambda a, ins: ("nn.LeakyReLU", {"negative_slope": a["negative_slope"]})
RULES["elu"] = lambda a, ins: ("nn.ELU", {"alpha": a["alpha"]})
RULES["gelu"] = lambda a, ins: ("nn.GELU", {"approximate": a["approximate"]})
RULES["softmax"] = lambda a, ins: ("nn.Softmax", {"dim": a["dim"]})
RULES["log_softmax"] = lambda a, ins: ("nn.LogSoftmax", {"dim": a["dim"]})
RULES["dropout"] = lambda a, ins: ("nn.Dropout", {"p": a["p"]})
RULES["flatten"] = lambda a, ins: ("nn.Flatten", {"start_dim": a["start_dim"]})
RULES["linear"] = lambda a, ins: ("nn.Linear", {"in_features": ins[0][-1], "out_features": a["out_features"],
                                                "bias": a["bias"]})


@rule("conv1d", "conv2d")
def _conv(a, ins):
    n = len(ins[0]) - 2
    return f"nn.Conv{n}d", {"in_channels": ins[0][1], "out_channels": a["out_channels"],
                            "kernel_size": a["kernel_size"], "stride": a["stride"], "padding": a["padding"],
                            "dilation": a["dilation"], "groups": a["groups"], "bias": a["bias"]}


@rule("conv_transpose1d", "conv_transpose2d")
def _conv_transpose(a, ins):
    n = len(ins[0]) - 2
    return f"nn.ConvTranspose{n}d", {
        "in_channels": ins[0][1], "out_channels": a["out_channels"], "kernel_size": a["kernel_size"],
        "stride": a["stride"], "padding": a["padding"], "output_padding": a["output_padding"],
        "groups": a["groups"], "bias": a["bias"], "dilation": a["dilation"]}


@rule("maxpool1d", "maxpool2d")
def _maxpool(a, ins):
    return f"nn.MaxPool{len(ins[0]) - 2}d", {"kernel_size": a["kernel_size"], "stride": a["stride"],
                                             "padding": a["padding"]}


@rule("meanpool1d", "meanpool2d")
def _meanpool(a, ins):
    return f"nn.AvgPool{len(ins[0]) - 2}d", {"kernel_size": a["kernel_size"], "stride": a["stride"],
                                             "padding": a["padding"], "count_include_pad": True}


@rule("batchnorm1d", "batchnorm2d")
def _batchnorm(a, ins):
    return f"nn.BatchNorm{1 if len(ins[0]) < 4 else 2}d", {
        "num_features": ins[0][1], "eps": a["eps"], "momentum": a["momentum"], "affine": a["affine"]}


@rule("layernorm")
def _layernorm(a, ins):
    return "nn.LayerNorm", {"normalized_shape": tuple(ins[0][-a["ndim"]:]), "eps": a["eps"],
                            "elementwise_affine": a["elementwise_affine"]}


@rule("upsample1d", "upsample2d")
def _upsample(a, ins):
    return "Upsample", {"factor": a["factor"], "dims": len(ins[0]) - 2}


@rule("downsample1d", "downsample2d")
def _downsample(a, ins):
    return "Downsample", {"factor": a["factor"], "dims": len(ins[0]) - 2}


@rule("global_pool")
def _global_pool(a, ins):
    return "GlobalPool", {"mode": a["mode"]}


@rule("add")
def _add(a, ins):
    return "", {}  # no module: the forward adds its two inputs
