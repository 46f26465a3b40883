"""Convolutions (PyTorch semantics): conv1d/2d and conv_transpose1d/2d.

Output sizes, per spatial dim, floor division throughout:
  conv:           floor((W + 2p - d(K-1) - 1) / s) + 1
  conv_transpose: (W-1)s - 2p + d(K-1) + output_padding + 1
"""

from archc.dims import floordiv, product, shape_str
from archc.errors import ShapeError
from archc.ops.base import Attr, OpDef, expect_rank, register, require_positive

LAYOUT = {1: "[N, C, W]", 2: "[N, C, H, W]"}


def conv_size(w, k, s, p, d):
    return floordiv(w + 2 * p - d * (k - 1) - 1, s) + 1


def conv_transpose_size(w, k, s, p, d, op):
    return (w - 1) * s - 2 * p + d * (k - 1) + op + 1


def _channels(name, x, a):
    c_in = x[1]
    if not isinstance(c_in, int):
        raise ShapeError(f"{name} needs a concrete channel count, got input {shape_str(x)}")
    g = a["groups"]
    for what, c in (("in_channels", c_in), ("out_channels", a["out_channels"])):
        if c % g:
            raise ShapeError(f"{name}: {what}={c} is not divisible by groups={g}; received input {shape_str(x)}")
    return c_in


def _describe(x, a):
    return (f"input {shape_str(x)}, kernel_size={a['kernel_size']}, stride={a['stride']}, "
            f"padding={a['padding']}, dilation={a['dilation']}")


def _conv_rule(n):
    name = f"conv{n}d"

    def shape(ins, a):
        (x,) = ins
        expect_rank(name, x, n + 2, LAYOUT[n])
        _channels(name, x, a)
        out = []
        for i in range(n):
            size = conv_size(x[2 + i], a["kernel_size"][i], a["stride"][i], a["padding"][i], a["dilation"][i])
            require_positive(name, "output size", size, _describe(x, a))
            out.append(size)
        return (x[0], a["out_channels"], *out)

    def params(ins, a):
        p = {"weight": (a["out_channels"], ins[0][1] // a["groups"], *a["kernel_size"])}
        if a["bias"]:
            p["bias"] = (a["out_channels"],)
        return p

    def macs(ins, out, a):
        return product(out) * (ins[0][1] // a["groups"]) * product(a["kernel_size"])

    return shape, params, macs


def _transpose_rule(n):
    name = f"conv_transpose{n}d"

    def shape(ins, a):
        (x,) = ins
        expect_rank(name, x, n + 2, LAYOUT[n])
        _channels(name, x, a)
        out = []
        for i in range(n):
            if a["output_padding"][i] >= max(a["stride"][i], a["dilation"][i]):
                raise ShapeError(f"{name}: output_padding must be smaller than stride or dilation, "
                                 f"got output_padding={a['output_padding']}, stride={a['stride']}")
            size = conv_transpose_size(x[2 + i], a["kernel_size"][i], a["stride"][i], a["padding"][i],
                                       a["dilation"][i], a["output_padding"][i])
            require_positive(name, "output size", size, _describe(x, a))
            out.append(size)
        return (x[0], a["out_channels"], *out)

    def params(ins, a):
        p = {"weight": (ins[0][1], a["out_channels"] // a["groups"], *a["kernel_size"])}
        if a["bias"]:
            p["bias"] = (a["out_channels"],)
        return p

    def macs(ins, out, a):
        return product(ins[0]) * (a["out_channels"] // a["groups"]) * product(a["kernel_size"])

    return shape, params, macs


def _common(extra=()):
    return (
        Attr("out_channels", "int", minimum=1),
        Attr("kernel_size", "ints", minimum=1, aliases=("kernel",)),
        Attr("stride", "ints", 1, minimum=1),
        Attr("padding", "ints", 0, minimum=0),
        *extra,
        Attr("dilation", "ints", 1, minimum=1),
        Attr("groups", "int", 1, minimum=1),
        Attr("bias", "bool", True),
    )


for _n in (1, 2):
    _s, _p, _m = _conv_rule(_n)
    register(OpDef(name=f"conv{_n}d", family="conv", spatial=_n, attrs=_common(),
                   positional=("out_channels", "kernel_size"), shape=_s, params=_p, macs=_m,
                   doc=f"{LAYOUT[_n]} -> [N, out_channels, *out]"))
    _s, _p, _m = _transpose_rule(_n)
    register(OpDef(name=f"conv_transpose{_n}d", family="conv", spatial=_n,
                   attrs=_common((Attr("output_padding", "ints", 0, minimum=0),)),
                   positional=("out_channels", "kernel_size"), shape=_s, params=_p, macs=_m,
                   doc=f"{LAYOUT[_n]} -> [N, out_channels, *out]"))
