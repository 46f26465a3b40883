"""Independent PyTorch references for every op, one entry per op (torch.nn.functional, or a few
lines of torch where torch has no such layer, e.g. zero-insertion upsampling).

    REFERENCE[op](attrs, params, buffers, inputs, training) -> output tensor

`tests/test_registry.py` asserts this table has exactly the registry's ops.
"""

import torch
import torch.nn.functional as F


def _spatial(x):
    return tuple(range(2, x.dim()))


def upsample_zeros(x, k):
    n = x.dim() - 2
    out = torch.zeros(*x.shape[:2], *(k * (s - 1) + 1 for s in x.shape[2:]), dtype=x.dtype)
    out[(slice(None), slice(None), *([slice(None, None, k)] * n))] = x
    return out


def _conv(fn):
    return lambda a, p, b, xs, t: fn(xs[0], p["weight"], p.get("bias"), a["stride"], a["padding"], a["dilation"],
                                     a["groups"])


def _transpose(fn):
    return lambda a, p, b, xs, t: fn(xs[0], p["weight"], p.get("bias"), a["stride"], a["padding"],
                                     a["output_padding"], a["groups"], a["dilation"])


def _max(fn):
    return lambda a, p, b, xs, t: fn(xs[0], a["kernel_size"], a["stride"], a["padding"])


def _mean(fn):
    return lambda a, p, b, xs, t: fn(xs[0], a["kernel_size"], a["stride"], a["padding"], count_include_pad=True)


def _down(a, p, b, xs, t):
    x = xs[0]
    return x[(slice(None), slice(None), *([slice(None, None, a["factor"])] * (x.dim() - 2)))]


def _batchnorm(a, p, b, xs, t):
    return F.batch_norm(xs[0], b["running_mean"], b["running_var"], p.get("weight"), p.get("bias"), t,
                        a["momentum"], a["eps"])


REFERENCE = {
    "identity": lambda a, p, b, xs, t: xs[0],
    "relu": lambda a, p, b, xs, t: torch.relu(xs[0]),
    "tanh": lambda a, p, b, xs, t: torch.tanh(xs[0]),
    "sigmoid": lambda a, p, b, xs, t: torch.sigmoid(xs[0]),
    "leaky_relu": lambda a, p, b, xs, t: F.leaky_relu(xs[0], a["negative_slope"]),
    "elu": lambda a, p, b, xs, t: F.elu(xs[0], a["alpha"]),
    "gelu": lambda a, p, b, xs, t: F.gelu(xs[0], approximate=a["approximate"]),
    "softmax": lambda a, p, b, xs, t: F.softmax(xs[0], dim=a["dim"]),
    "log_softmax": lambda a, p, b, xs, t: F.log_softmax(xs[0], dim=a["dim"]),
    "dropout": lambda a, p, b, xs, t: xs[0],  # compared in eval mode; training masks are tested on their own
    "linear": lambda a, p, b, xs, t: F.linear(xs[0], p["weight"], p.get("bias")),
    "conv1d": _conv(F.conv1d), "conv2d": _conv(F.conv2d),
    "conv_transpose1d": _transpose(F.conv_transpose1d), "conv_transpose2d": _transpose(F.conv_transpose2d),
    "maxpool1d": _max(F.max_pool1d), "maxpool2d": _max(F.max_pool2d),
    "meanpool1d": _mean(F.avg_pool1d), "meanpool2d": _mean(F.avg_pool2d),
    "upsample1d": lambda a, p, b, xs, t: upsample_zeros(xs[0], a["factor"]),
    "upsample2d": lambda a, p, b, xs, t: upsample_zeros(xs[0], a["factor"]),
    "downsample1d": _down, "downsample2d": _down,
    "global_pool": lambda a, p, b, xs, t: xs[0].amax(dim=_spatial(xs[0])) if a["mode"] == "max"
    else xs[0].mean(dim=_spatial(xs[0])),
    "batchnorm1d": _batchnorm, "batchnorm2d": _batchnorm,
    "layernorm": lambda a, p, b, xs, t: F.layer_norm(xs[0], xs[0].shape[-a["ndim"]:], p.get("weight"),
                                                     p.get("bias"), a["eps"]),
    "flatten": lambda a, p, b, xs, t: torch.flatten(xs[0], a["start_dim"]),
    "add": lambda a, p, b, xs, t: xs[0] + xs[1],
    "mul": lambda a, p, b, xs, t: xs[0] * xs[1],
    "concat": lambda a, p, b, xs, t: torch.cat(list(xs), dim=a["dim"]),
}


def reference(op, attrs, params, buffers, inputs, training=True):
    """The output of ``op`` computed by torch; ``buffers`` are updated in place (batchnorm)."""
    return REFERENCE[op](attrs, params, buffers, inputs, training)
