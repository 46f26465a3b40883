"""Leaf modules -> registry ops: the inverse of archc/emit_torch/rules.py for modules.

``module_op(m, shape)`` gives the op and its attributes for an ``nn.Conv2d``, an ``nn.ReLU``, ... or
one of the helper modules archc's emitted source carries (``GlobalPool``, ``Pad``, ...; recognised by
their source, which emitted files copy verbatim); an attribute the op cannot express is refused.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import lru_cache
from typing import Any


class UnsupportedError(Exception):
    """A call the registry has no op for: a message and a hint, placed by the caller."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


ModuleRule = Callable[[Any, tuple], tuple[str, dict]]
HELPERS = ("GlobalPool", "Upsample", "Downsample", "Pad", "Permute", "LayerNorm2d", "StochasticDepth",
           "ManualConv1d", "ManualConv2d", "ManualLinear")


def _require(ok: bool, message: str, hint: str | None = None) -> None:
    if not ok:
        raise UnsupportedError(message, hint)


def _conv(m: Any, shape: tuple) -> tuple[str, dict]:
    _require(m.padding_mode == "zeros", f"padding_mode={m.padding_mode!r} is not an attribute of archc's conv",
             "pad explicitly (nn.ReflectionPad2d) before a convolution with padding 0")
    n = len(m.kernel_size)
    attrs = {"out_channels": m.out_channels, "kernel_size": tuple(m.kernel_size), "stride": tuple(m.stride),
             "padding": m.padding if isinstance(m.padding, str) else tuple(m.padding),
             "dilation": tuple(m.dilation), "groups": m.groups, "bias": m.bias is not None}
    if m.transposed:
        attrs["output_padding"] = tuple(m.output_padding)
        return f"conv_transpose{n}d", attrs
    return f"conv{n}d", attrs


def _batchnorm(m: Any, shape: tuple) -> tuple[str, dict]:
    _require(m.track_running_stats, "BatchNorm without running statistics (track_running_stats=False)")
    _require(m.momentum is not None, "BatchNorm with momentum=None (a cumulative average)")
    return ("batchnorm2d" if len(shape) == 4 else "batchnorm1d"), {"eps": m.eps, "momentum": m.momentum,
                                                                   "affine": m.affine}


def _layernorm(m: Any, shape: tuple) -> tuple[str, dict]:
    _require(not (m.elementwise_affine and m.bias is None), "LayerNorm(bias=False) has no archc op")
    return "layernorm", {"ndim": len(m.normalized_shape), "eps": m.eps, "elementwise_affine": m.elementwise_affine}


def _instancenorm(m: Any, shape: tuple) -> tuple[str, dict]:
    _require(not m.track_running_stats, "InstanceNorm with running statistics (track_running_stats=True)")
    return f"instancenorm{len(shape) - 2}d", {"eps": m.eps, "affine": m.affine}


def _pool(op: str) -> ModuleRule:
    def rule(m: Any, shape: tuple) -> tuple[str, dict]:
        n = len(shape) - 2
        dilation = getattr(m, "dilation", 1)
        _require(dilation in (1, (1,) * n), f"a pool with dilation={dilation} has no archc op")
        _require(not getattr(m, "return_indices", False), "a pool that returns indices has no archc op")
        _require(getattr(m, "divisor_override", None) is None, "AvgPool with divisor_override has no archc op")
        stride = m.stride if m.stride not in (None, ()) else m.kernel_size
        attrs = {"kernel_size": m.kernel_size, "stride": stride, "padding": m.padding, "ceil_mode": m.ceil_mode}
        if op == "meanpool":
            attrs["count_include_pad"] = m.count_include_pad
        return f"{op}{n}d", attrs
    return rule


def _adaptive(op: str) -> ModuleRule:
    def rule(m: Any, shape: tuple) -> tuple[str, dict]:
        size = m.output_size if isinstance(m.output_size, tuple) else (m.output_size,) * (len(shape) - 2)
        _require(None not in size, f"an adaptive pool to output_size={m.output_size} (None keeps a size)")
        _require(not getattr(m, "return_indices", False), "a pool that returns indices has no archc op")
        return f"{op}{len(shape) - 2}d", {"output_size": tuple(size)}
    return rule


def resize_attrs(shape: tuple, size: Any, scale: Any, mode: str, align_corners: Any) -> tuple[str, dict]:
    """resize1d/2d from Upsample's or interpolate's arguments."""
    n = len(shape) - 2
    linear = {1: "linear", 2: "bilinear"}.get(n)
    _require(n in (1, 2) and mode in ("nearest", linear), f"resizing {n}-D sizes with mode={mode!r} has no archc op")
    attrs: dict[str, Any] = {"mode": mode, "align_corners": bool(align_corners)}
    if size is not None:
        attrs["size"] = tuple(size) if isinstance(size, tuple | list) else (size,) * n
    else:
        scales = set(scale) if isinstance(scale, tuple | list) else {scale}
        _require(len(scales) == 1 and float(next(iter(scales))).is_integer(),
                 f"resizing by scale_factor={scale} (archc resizes by one integer scale)")
        attrs["scale"] = int(next(iter(scales)))
    return f"resize{n}d", attrs


def sides_from_pad(pad: tuple, rank: int) -> tuple[tuple, tuple]:
    """F.pad's flat list (last dim first) -> ((before, after) per spatial dim, (before, after) channels)."""
    pairs = [tuple(pad[i:i + 2]) for i in range(0, len(pad), 2)][::-1]  # first padded dim first
    _require(len(pad) % 2 == 0 and len(pairs) <= rank - 1, f"padding {list(pad)} of a rank-{rank} tensor")
    channels = pairs.pop(0) if len(pairs) == rank - 1 else (0, 0)
    spatial = [(0, 0)] * (rank - 2 - len(pairs)) + pairs
    return tuple(spatial), tuple(channels)


def _pad_module(mode: str) -> ModuleRule:
    def rule(m: Any, shape: tuple) -> tuple[str, dict]:
        sides, channels = sides_from_pad(tuple(m.padding), len(shape))
        return "pad", {"amount": sides, "channels": channels, "mode": mode,
                       "value": float(getattr(m, "value", 0.0))}
    return rule


def _flatten(m: Any, shape: tuple) -> tuple[str, dict]:
    _require(m.end_dim in (-1, len(shape) - 1), f"Flatten(end_dim={m.end_dim}) keeps trailing dims")
    return "flatten", {"start_dim": m.start_dim % len(shape)}


def _softmax(op: str) -> ModuleRule:
    def rule(m: Any, shape: tuple) -> tuple[str, dict]:
        _require(m.dim is not None, f"{type(m).__name__}() without dim (an implicit, deprecated choice)")
        return op, {"dim": m.dim}
    return rule


def _plain(op: str, **names: str) -> ModuleRule:
    """A rule reading module attributes as op attributes (op attribute = module attribute)."""
    return lambda m, shape: (op, {a: getattr(m, b) for a, b in names.items()})


def _rules() -> dict[type, ModuleRule]:
    from torch import nn

    out: dict[type, ModuleRule] = {
        nn.Conv1d: _conv, nn.Conv2d: _conv, nn.ConvTranspose1d: _conv, nn.ConvTranspose2d: _conv,
        nn.Linear: lambda m, s: ("linear", {"out_features": m.out_features, "bias": m.bias is not None}),
        nn.BatchNorm1d: _batchnorm, nn.BatchNorm2d: _batchnorm, nn.LayerNorm: _layernorm,
        nn.GroupNorm: _plain("groupnorm", num_groups="num_groups", eps="eps", affine="affine"),
        nn.InstanceNorm1d: _instancenorm, nn.InstanceNorm2d: _instancenorm,
        nn.MaxPool1d: _pool("maxpool"), nn.MaxPool2d: _pool("maxpool"),
        nn.AvgPool1d: _pool("meanpool"), nn.AvgPool2d: _pool("meanpool"),
        nn.AdaptiveAvgPool1d: _adaptive("adaptive_meanpool"), nn.AdaptiveAvgPool2d: _adaptive("adaptive_meanpool"),
        nn.AdaptiveMaxPool1d: _adaptive("adaptive_maxpool"), nn.AdaptiveMaxPool2d: _adaptive("adaptive_maxpool"),
        nn.Upsample: lambda m, s: resize_attrs(s, m.size, m.scale_factor, m.mode, m.align_corners),
        nn.Flatten: _flatten, nn.Softmax: _softmax("softmax"), nn.LogSoftmax: _softmax("log_softmax"),
        nn.LeakyReLU: _plain("leaky_relu", negative_slope="negative_slope"), nn.ELU: _plain("elu", alpha="alpha"),
        nn.GELU: _plain("gelu", approximate="approximate"),
        nn.Softplus: _plain("softplus", beta="beta", threshold="threshold"),
        nn.Hardtanh: _plain("hardtanh", min_val="min_val", max_val="max_val"),
        nn.PReLU: lambda m, s: ("prelu", {"num_parameters": m.num_parameters, "init": float(getattr(m, "init", 0.25))}),
        nn.Dropout: _plain("dropout", p="p"), nn.Dropout1d: _plain("dropout1d", p="p"),
        nn.Dropout2d: _plain("dropout2d", p="p"), nn.ChannelShuffle: _plain("channel_shuffle", groups="groups"),
        nn.ZeroPad1d: _pad_module("constant"), nn.ZeroPad2d: _pad_module("constant"),
        nn.ConstantPad1d: _pad_module("constant"), nn.ConstantPad2d: _pad_module("constant"),
        nn.ReflectionPad1d: _pad_module("reflect"), nn.ReflectionPad2d: _pad_module("reflect"),
        nn.ReplicationPad1d: _pad_module("replicate"), nn.ReplicationPad2d: _pad_module("replicate"),
    }
    for cls, op in ((nn.Identity, "identity"), (nn.ReLU, "relu"), (nn.ReLU6, "relu6"), (nn.Tanh, "tanh"),
                    (nn.Sigmoid, "sigmoid"), (nn.SiLU, "silu"), (nn.Hardswish, "hardswish"),
                    (nn.Hardsigmoid, "hardsigmoid"), (nn.Mish, "mish")):
        out[cls] = _plain(op)
    return out


def _helper_rules() -> dict[str, ModuleRule]:
    return {
        "GlobalPool": _plain("global_pool", mode="mode", keepdim="keepdim"),
        "Upsample": lambda m, s: (f"upsample{m.dims}d", {"factor": m.factor}),
        "Downsample": lambda m, s: (f"downsample{m.dims}d", {"factor": m.factor}),
        "Pad": lambda m, s: ("pad", {"amount": tuple(m.sides), "channels": tuple(m.channels), "mode": m.mode,
                                     "value": float(m.value)}),
        "Permute": lambda m, s: ("permute", {"dims": tuple(m.dims)}),
        "LayerNorm2d": lambda m, s: ("layernorm2d", {"eps": m.eps, "affine": m.elementwise_affine}),
        "StochasticDepth": _plain("stochastic_depth", p="p", mode="mode"),
        "ManualConv1d": _conv, "ManualConv2d": _conv,
        "ManualLinear": lambda m, s: ("linear", {"out_features": m.out_features, "bias": m.bias is not None}),
    }


@lru_cache(maxsize=1)
def _tables() -> tuple[dict, dict, dict]:
    from archc.emit_torch import manual, modules

    originals = {name: getattr(modules, name, None) or getattr(manual, name) for name in HELPERS}
    return _rules(), _helper_rules(), {name: _source(cls) for name, cls in originals.items()}


def _source(cls: type) -> str | None:
    try:
        return inspect.getsource(cls)
    except (OSError, TypeError):
        return None


@lru_cache(maxsize=256)
def helper_name(cls: type) -> str | None:
    """The name of the archc helper module class ``cls`` is (archc's own, or a verbatim copy in emitted source)."""
    if cls.__name__ not in HELPERS:
        return None
    sources = _tables()[2]
    src = _source(cls)
    return cls.__name__ if src is not None and src == sources[cls.__name__] else None


def is_leaf(m: Any) -> bool:
    """Whether the importer maps module ``m`` itself to an op (rather than tracing its forward)."""
    return type(m) in _tables()[0] or helper_name(type(m)) is not None


def module_op(m: Any, shape: tuple) -> tuple[str, dict]:
    """The op and attributes of leaf module ``m`` called on a tensor of ``shape``; UnsupportedError if none."""
    rules, helpers, _ = _tables()
    rule = rules.get(type(m)) or helpers.get(helper_name(type(m)) or "")
    if rule is None:
        raise UnsupportedError(f"{type(m).__module__}.{type(m).__name__} has no archc op",
                          hint="`archc ops` lists the ops a spec can use")
    return rule(m, shape)
