"""Pooling (PyTorch semantics): max and mean pooling over windows (floor or ceil mode), adaptive
pooling to an output size, and global pooling."""

from archc.dims import shape_str
from archc.errors import ShapeError, SpecError
from archc.ops.base import (
    Attr,
    OpDef,
    apply_size,
    by,
    dim_label,
    expect_rank,
    one,
    register,
    require_positive,
    window_of,
)
from archc.ops.conv import LAYOUT
from archc.sizes import ceil_needs_concrete, conv_out, pool_ceil_out


def pool_shape(name, n):
    def shape(ins, a):
        (x,) = ins
        expect_rank(name, x, n + 2, LAYOUT[n])
        out = []
        for i in range(n):
            k, s, p = a["kernel_size"][i], a["stride"][i], a["padding"][i]
            if 2 * p > k:
                raise SpecError(f"{name}: padding must be at most half the kernel size, "
                                f"got kernel_size={a['kernel_size']}, padding={a['padding']}")
            w = x[2 + i]
            if a["ceil_mode"]:
                if not isinstance(w, int) and ceil_needs_concrete(k, s, p):
                    raise ShapeError(f"{name}: with ceil_mode and padding, the size of {shape_str(x)} must be concrete",
                                     hint="give the input's sizes (--input)")
                size = apply_size(pool_ceil_out, dim_label(n, i), size=w, kernel=k, stride=s, padding=p)
            else:
                size = apply_size(conv_out, dim_label(n, i), size=w, kernel=k, stride=s, padding=p)
            require_positive(name, "output size", size,
                             f"input {shape_str(x)}, kernel_size={a['kernel_size']}, stride={a['stride']}, "
                             f"padding={a['padding']}")
            out.append(size)
        return (*x[:2], *out)
    return shape


def pool_label(a, ins):
    text = f"{by(a['kernel_size'])} /{one(a['stride'])}"
    text += f" p{one(a['padding'])}" if any(a["padding"]) else ""
    return text + (" ceil" if a["ceil_mode"] else "")


WINDOW = (Attr("kernel_size", "ints", minimum=1, aliases=("kernel",), doc="window size, per spatial dim"),
          Attr("stride", "ints", None, minimum=1, default_from="kernel_size",
               doc="step between windows (default: the kernel size)"),
          Attr("padding", "ints", 0, minimum=0, doc="padding on both sides (-inf for max, 0 for mean)"),
          Attr("ceil_mode", "bool", False, doc="round the output size up (a last, partial window)"))
MEAN = (*WINDOW, Attr("count_include_pad", "bool", True, doc="count padded zeros in each mean (PyTorch's default)"))
POSITIONAL = ("kernel_size", "stride")

register(OpDef(name="maxpool1d", family="pool", spatial=1, attrs=WINDOW, positional=POSITIONAL,
               shape=pool_shape("maxpool1d", 1), window=window_of, label=pool_label,
               doc="maximum over each window", inputs_doc="[N, C, W] -> [N, C, W_out]"))
register(OpDef(name="maxpool2d", family="pool", spatial=2, attrs=WINDOW, positional=POSITIONAL,
               shape=pool_shape("maxpool2d", 2), window=window_of, label=pool_label,
               doc="maximum over each window", inputs_doc="[N, C, H, W] -> [N, C, H_out, W_out]"))
register(OpDef(name="meanpool1d", family="pool", spatial=1, attrs=MEAN, positional=POSITIONAL,
               shape=pool_shape("meanpool1d", 1), window=window_of, label=pool_label,
               doc="mean over each window (PyTorch's AvgPool)", inputs_doc="[N, C, W] -> [N, C, W_out]"))
register(OpDef(name="meanpool2d", family="pool", spatial=2, attrs=MEAN, positional=POSITIONAL,
               shape=pool_shape("meanpool2d", 2), window=window_of, label=pool_label,
               doc="mean over each window (PyTorch's AvgPool)", inputs_doc="[N, C, H, W] -> [N, C, H_out, W_out]"))


def adaptive_shape(name, n):
    def shape(ins, a):
        (x,) = ins
        expect_rank(name, x, n + 2, LAYOUT[n])
        return (*x[:2], *a["output_size"])
    return shape


OUTPUT = (Attr("output_size", "ints", minimum=1, doc="the output size, per spatial dim"),)
register(OpDef(name="adaptive_maxpool1d", family="pool", spatial=1, attrs=OUTPUT, positional=("output_size",),
               shape=adaptive_shape("adaptive_maxpool1d", 1), label=lambda a, ins: f"→{by(a['output_size'])}",
               doc="maximum over the windows that split the input into output_size parts",
               inputs_doc="[N, C, W] -> [N, C, output_size]"))
register(OpDef(name="adaptive_maxpool2d", family="pool", spatial=2, attrs=OUTPUT, positional=("output_size",),
               shape=adaptive_shape("adaptive_maxpool2d", 2), label=lambda a, ins: f"→{by(a['output_size'])}",
               doc="maximum over the windows that split the input into output_size parts",
               inputs_doc="[N, C, H, W] -> [N, C, *output_size]"))
register(OpDef(name="adaptive_meanpool1d", family="pool", spatial=1, attrs=OUTPUT, positional=("output_size",),
               shape=adaptive_shape("adaptive_meanpool1d", 1), label=lambda a, ins: f"→{by(a['output_size'])}",
               doc="mean over the windows that split the input into output_size parts (AdaptiveAvgPool)",
               inputs_doc="[N, C, W] -> [N, C, output_size]"))
register(OpDef(name="adaptive_meanpool2d", family="pool", spatial=2, attrs=OUTPUT, positional=("output_size",),
               shape=adaptive_shape("adaptive_meanpool2d", 2), label=lambda a, ins: f"→{by(a['output_size'])}",
               doc="mean over the windows that split the input into output_size parts (AdaptiveAvgPool)",
               inputs_doc="[N, C, H, W] -> [N, C, *output_size]"))


def global_pool_shape(ins, a):
    (x,) = ins
    expect_rank("global_pool", x, (3, 4, 5), "[N, C, *spatial]")
    return (*x[:2], *(1,) * (len(x) - 2)) if a["keepdim"] else tuple(x[:2])


register(OpDef(name="global_pool", family="pool", positional=("mode",),
               attrs=(Attr("mode", "choice", "mean", choices=("max", "mean"), doc="max or mean over all positions"),
                      Attr("keepdim", "bool", False, doc="keep the spatial dims, as size 1 ([N, C, 1, 1])")),
               shape=global_pool_shape, label=lambda a, ins: a["mode"],
               doc="max or mean over every spatial position", inputs_doc="[N, C, *spatial] -> [N, C]"))
