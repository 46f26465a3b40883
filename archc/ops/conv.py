"""Convolutions (PyTorch semantics): conv1d/2d and conv_transpose1d/2d.

Output sizes per spatial dim (archc.sizes): conv_out for convolutions, conv_transpose_out for
transposed ones; ``padding="same"`` keeps the size of a stride-1 convolution.
"""

from archc.dims import shape_str
from archc.errors import ShapeError
from archc.ops.base import (
    Attr,
    OpDef,
    apply_size,
    by,
    concrete,
    dim_label,
    expect_rank,
    one,
    register,
    require_positive,
    window_of,
)
from archc.sizes import conv_out, conv_transpose_out

LAYOUT = {1: "[N, C, W]", 2: "[N, C, H, W]"}


def _channels(name, x, a):
    c_in = concrete(name, "channel count", x[1], x)
    g = a["groups"]
    for what, c in (("in_channels", c_in), ("out_channels", a["out_channels"])):
        if c % g:
            raise ShapeError(f"{name}: {what}={c} is not divisible by groups={g}; received input {shape_str(x)}")
    return c_in


def _describe(x, a):
    return (f"input {shape_str(x)}, kernel_size={a['kernel_size']}, stride={a['stride']}, "
            f"padding={a['padding']}, dilation={a['dilation']}")


def conv_shape(name, n):
    def shape(ins, a):
        (x,) = ins
        expect_rank(name, x, n + 2, LAYOUT[n])
        _channels(name, x, a)
        same = a["padding"] == "same"
        if same and any(s != 1 for s in a["stride"]):
            raise ShapeError(f"{name}: padding='same' needs stride 1, got stride={a['stride']}")
        out = []
        for i in range(n):
            k, s, d = a["kernel_size"][i], a["stride"][i], a["dilation"][i]
            p = 0 if a["padding"] == "valid" else a["padding"]
            size = x[2 + i] if same else apply_size(conv_out, dim_label(n, i), size=x[2 + i], kernel=k, stride=s,
                                                    padding=p[i] if isinstance(p, tuple) else p, dilation=d)
            require_positive(name, "output size", size, _describe(x, a))
            out.append(size)
        return (x[0], a["out_channels"], *out)
    return shape


def transpose_shape(name, n):
    def shape(ins, a):
        (x,) = ins
        expect_rank(name, x, n + 2, LAYOUT[n])
        _channels(name, x, a)
        out = []
        for i in range(n):
            if a["output_padding"][i] >= max(a["stride"][i], a["dilation"][i]):
                raise ShapeError(f"{name}: output_padding must be smaller than stride or dilation, "
                                 f"got output_padding={a['output_padding']}, stride={a['stride']}")
            size = apply_size(conv_transpose_out, dim_label(n, i), size=x[2 + i], kernel=a["kernel_size"][i],
                              stride=a["stride"][i], padding=a["padding"][i], dilation=a["dilation"][i],
                              output_padding=a["output_padding"][i])
            require_positive(name, "output size", size, _describe(x, a))
            out.append(size)
        return (x[0], a["out_channels"], *out)
    return shape


def conv_params(ins, a):
    p = {"weight": (a["out_channels"], ins[0][1] // a["groups"], *a["kernel_size"])}
    if a["bias"]:
        p["bias"] = (a["out_channels"],)
    return p


def transpose_params(ins, a):
    p = {"weight": (ins[0][1], a["out_channels"] // a["groups"], *a["kernel_size"])}
    if a["bias"]:
        p["bias"] = (a["out_channels"],)
    return p


def conv_macs(ins, out, a):
    """One multiply-accumulate per weight tap per output element (bias adds are not counted)."""
    return (*out, ins[0][1] // a["groups"], *a["kernel_size"])


def transpose_macs(ins, out, a):
    """One per weight tap per *input* element: each input scatters into its window."""
    return (*ins[0], a["out_channels"] // a["groups"], *a["kernel_size"])


def conv_label(a, ins):
    pad = a["padding"] if isinstance(a["padding"], str) else f"p{one(a['padding'])}"
    text = f"{by(a['kernel_size'])} /{one(a['stride'])} {pad}"
    if any(d != 1 for d in a["dilation"]):
        text += f" d{one(a['dilation'])}"
    return text + (f" g{a['groups']}" if a["groups"] != 1 else "")


def transpose_label(a, ins):
    text = f"{by(a['kernel_size'])} ↑{one(a['stride'])} p{one(a['padding'])}"
    return text + (f" op{one(a['output_padding'])}" if any(a["output_padding"]) else "")


def conv_attrs(transpose=False):
    padding = (Attr("padding", "ints", 0, minimum=0, doc="zeros added on both sides of each spatial dim"),) \
        if transpose else (Attr("padding", "ints", 0, minimum=0, choices=("same", "valid"),
                                doc="zeros on both sides of each spatial dim; 'same' keeps the size (stride 1; "
                                    "an odd d(K-1) puts the extra zero after, as PyTorch)"),)
    extra = (Attr("output_padding", "ints", 0, minimum=0, doc="extra size added on one side of the output"),) \
        if transpose else ()
    return (
        Attr("out_channels", "int", minimum=1, doc="number of output channels (filters)"),
        Attr("kernel_size", "ints", minimum=1, aliases=("kernel",), doc="window size, per spatial dim"),
        Attr("stride", "ints", 1, minimum=1, doc="step between windows"),
        *padding, *extra,
        Attr("dilation", "ints", 1, minimum=1, doc="spacing between kernel taps"),
        Attr("groups", "int", 1, minimum=1, doc="channel groups; in and out channels must divide by it"),
        Attr("bias", "bool", True, doc="add a learned bias per output channel"),
    )


register(OpDef(name="conv1d", family="conv", spatial=1, attrs=conv_attrs(), positional=("out_channels", "kernel_size"),
               shape=conv_shape("conv1d", 1), params=conv_params, macs=conv_macs, window=window_of,
               label=conv_label, inputs_doc="[N, C, W] -> [N, out_channels, W_out]",
               doc="1-D convolution (cross-correlation, as PyTorch)"))
register(OpDef(name="conv2d", family="conv", spatial=2, attrs=conv_attrs(), positional=("out_channels", "kernel_size"),
               shape=conv_shape("conv2d", 2), params=conv_params, macs=conv_macs, window=window_of,
               label=conv_label, inputs_doc="[N, C, H, W] -> [N, out_channels, H_out, W_out]",
               doc="2-D convolution (cross-correlation, as PyTorch)"))
register(OpDef(name="conv_transpose1d", family="conv", spatial=1, attrs=conv_attrs(True),
               positional=("out_channels", "kernel_size"), shape=transpose_shape("conv_transpose1d", 1),
               params=transpose_params, macs=transpose_macs, label=transpose_label,
               inputs_doc="[N, C, W] -> [N, out_channels, W_out]",
               doc="1-D transposed convolution: the gradient of conv1d with respect to its input"))
register(OpDef(name="conv_transpose2d", family="conv", spatial=2, attrs=conv_attrs(True),
               positional=("out_channels", "kernel_size"), shape=transpose_shape("conv_transpose2d", 2),
               params=transpose_params, macs=transpose_macs, label=transpose_label,
               inputs_doc="[N, C, H, W] -> [N, out_channels, H_out, W_out]",
               doc="2-D transposed convolution: the gradient of conv2d with respect to its input"))
