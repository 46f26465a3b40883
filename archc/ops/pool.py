"""Pooling: max and mean pooling over windows (PyTorch semantics), global pooling."""

from archc.dims import shape_str
from archc.errors import SpecError
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
from archc.sizes import conv_out


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
            size = apply_size(conv_out, dim_label(n, i), size=x[2 + i], kernel=k, stride=s, padding=p)
            require_positive(name, "output size", size,
                             f"input {shape_str(x)}, kernel_size={a['kernel_size']}, stride={a['stride']}, "
                             f"padding={a['padding']}")
            out.append(size)
        return (*x[:2], *out)
    return shape


def pool_label(a, ins):
    text = f"{by(a['kernel_size'])} /{one(a['stride'])}"
    return text + (f" p{one(a['padding'])}" if any(a["padding"]) else "")


POOL_ATTRS = (Attr("kernel_size", "ints", minimum=1, aliases=("kernel",), doc="window size, per spatial dim"),
              Attr("stride", "ints", None, minimum=1, default_from="kernel_size",
                   doc="step between windows (default: the kernel size)"),
              Attr("padding", "ints", 0, minimum=0, doc="padding on both sides (-inf for max, 0 for mean)"))

register(OpDef(name="maxpool1d", family="pool", spatial=1, attrs=POOL_ATTRS, positional=("kernel_size", "stride"),
               shape=pool_shape("maxpool1d", 1), window=window_of, label=pool_label,
               doc="maximum over each window", inputs_doc="[N, C, W] -> [N, C, W_out]"))
register(OpDef(name="maxpool2d", family="pool", spatial=2, attrs=POOL_ATTRS, positional=("kernel_size", "stride"),
               shape=pool_shape("maxpool2d", 2), window=window_of, label=pool_label,
               doc="maximum over each window", inputs_doc="[N, C, H, W] -> [N, C, H_out, W_out]"))
register(OpDef(name="meanpool1d", family="pool", spatial=1, attrs=POOL_ATTRS, positional=("kernel_size", "stride"),
               shape=pool_shape("meanpool1d", 1), window=window_of, label=pool_label,
               doc="mean over each window (padding counted, as PyTorch's AvgPool)",
               inputs_doc="[N, C, W] -> [N, C, W_out]"))
register(OpDef(name="meanpool2d", family="pool", spatial=2, attrs=POOL_ATTRS, positional=("kernel_size", "stride"),
               shape=pool_shape("meanpool2d", 2), window=window_of, label=pool_label,
               doc="mean over each window (padding counted, as PyTorch's AvgPool)",
               inputs_doc="[N, C, H, W] -> [N, C, H_out, W_out]"))


def global_pool_shape(ins, a):
    (x,) = ins
    expect_rank("global_pool", x, (3, 4, 5), "[N, C, *spatial]")
    return tuple(x[:2])


register(OpDef(name="global_pool", family="pool", positional=("mode",),
               attrs=(Attr("mode", "choice", "mean", choices=("max", "mean"), doc="max or mean over all positions"),),
               shape=global_pool_shape, label=lambda a, ins: a["mode"],
               doc="max or mean over every spatial position", inputs_doc="[N, C, *spatial] -> [N, C]"))
