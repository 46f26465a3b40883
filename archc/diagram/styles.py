"""How each op looks in a diagram: a short label of its key attributes (one rule per op),
and, per op family, a colour and a node shape (so the diagram also reads in black and white)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FAMILY_STYLE: dict[str, dict[str, str]] = {
    "conv": {"fillcolor": "#a6cee3", "shape": "box", "style": "filled"},
    "pool": {"fillcolor": "#fdbf6f", "shape": "invtrapezium", "style": "filled"},
    "resample": {"fillcolor": "#cab2d6", "shape": "parallelogram", "style": "filled"},
    "activation": {"fillcolor": "#b2df8a", "shape": "ellipse", "style": "filled"},
    "norm": {"fillcolor": "#fb9a99", "shape": "box", "style": "filled,rounded,dashed"},
    "linear": {"fillcolor": "#1f78b4", "shape": "box3d", "style": "filled", "fontcolor": "white"},
    "shape": {"fillcolor": "#eeeeee", "shape": "cds", "style": "filled"},
    "merge": {"fillcolor": "white", "shape": "circle", "style": "filled,bold"},
}
COLLAPSED_STYLE = {"shape": "box3d", "style": "filled,bold", "fillcolor": "#dddddd"}
FAMILY_NAMES = {"conv": "convolution", "pool": "pooling", "resample": "resampling", "activation": "activation",
                "norm": "normalisation", "linear": "linear", "shape": "reshape / dropout", "merge": "residual add",
                "collapsed": "collapsed block"}


def _by(values: tuple) -> str:
    return "x".join(map(str, values))


def _one(values: tuple) -> str:
    """A per-dim attribute, once when every dim has the same value."""
    return str(values[0]) if len(set(values)) == 1 else _by(values)


def _conv(a: dict[str, Any], ins: list[tuple]) -> str:
    text = f"{_by(a['kernel_size'])} /{_one(a['stride'])} p{_one(a['padding'])}"
    if any(d != 1 for d in a["dilation"]):
        text += f" d{_one(a['dilation'])}"
    if a["groups"] != 1:
        text += f" g{a['groups']}"
    return text


def _conv_transpose(a: dict[str, Any], ins: list[tuple]) -> str:
    text = f"{_by(a['kernel_size'])} ↑{_one(a['stride'])} p{_one(a['padding'])}"
    if any(a["output_padding"]):
        text += f" op{_one(a['output_padding'])}"
    return text


def _pool(a: dict[str, Any], ins: list[tuple]) -> str:
    text = f"{_by(a['kernel_size'])} /{_one(a['stride'])}"
    return text + (f" p{_one(a['padding'])}" if any(a["padding"]) else "")


def _none(a: dict[str, Any], ins: list[tuple]) -> str:
    return ""


LABELS: dict[str, Callable[[dict[str, Any], list[tuple]], str]] = {
    "linear": lambda a, ins: f"{ins[0][-1]}→{a['out_features']}",
    "identity": _none, "relu": _none, "tanh": _none, "sigmoid": _none,
    "leaky_relu": lambda a, ins: f"slope {a['negative_slope']:g}",
    "elu": lambda a, ins: f"α={a['alpha']:g}",
    "gelu": lambda a, ins: "" if a["approximate"] == "none" else "tanh approx.",
    "softmax": lambda a, ins: f"dim {a['dim']}",
    "log_softmax": lambda a, ins: f"dim {a['dim']}",
    "conv1d": _conv, "conv2d": _conv,
    "conv_transpose1d": _conv_transpose, "conv_transpose2d": _conv_transpose,
    "maxpool1d": _pool, "maxpool2d": _pool, "meanpool1d": _pool, "meanpool2d": _pool,
    "global_pool": lambda a, ins: a["mode"],
    "upsample1d": lambda a, ins: f"↑{a['factor']} (zeros)", "upsample2d": lambda a, ins: f"↑{a['factor']} (zeros)",
    "downsample1d": lambda a, ins: f"↓{a['factor']}", "downsample2d": lambda a, ins: f"↓{a['factor']}",
    "batchnorm1d": _none, "batchnorm2d": _none,
    "layernorm": lambda a, ins: f"last {a['ndim']} dim(s)",
    "dropout": lambda a, ins: f"p={a['p']:g}",
    "flatten": lambda a, ins: f"from dim {a['start_dim']}" if a["start_dim"] != 1 else "",
    "add": _none,
}
