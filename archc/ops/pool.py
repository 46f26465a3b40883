"""Pooling: max/mean pooling with kernel, stride, padding; global pooling."""

from archc.dims import shape_str
from archc.errors import ShapeError, SpecError
from archc.ops.base import Attr, OpDef, expect_rank, register, require_positive
from archc.ops.conv import LAYOUT, conv_size


def _pool_rule(name, n):
    def shape(ins, a):
        (x,) = ins
        expect_rank(name, x, n + 2, LAYOUT[n])
        out = []
        for i in range(n):
            k, s, p = a["kernel_size"][i], a["stride"][i], a["padding"][i]
            if 2 * p > k:
                raise SpecError(f"{name}: padding must be at most half the kernel size, "
                                f"got kernel_size={a['kernel_size']}, padding={a['padding']}")
            size = conv_size(x[2 + i], k, s, p, 1)
            require_positive(name, "output size", size,
                             f"input {shape_str(x)}, kernel_size={a['kernel_size']}, stride={a['stride']}, "
                             f"padding={a['padding']}")
            out.append(size)
        return (*x[:2], *out)
    return shape


for _kind in ("max", "mean"):
    for _n in (1, 2):
        _name = f"{_kind}pool{_n}d"
        register(OpDef(
            name=_name, family="pool", spatial=_n,
            attrs=(Attr("kernel_size", "ints", minimum=1, aliases=("kernel",)),
                   Attr("stride", "ints", None, minimum=1, default_from="kernel_size"),
                   Attr("padding", "ints", 0, minimum=0)),
            positional=("kernel_size", "stride"), shape=_pool_rule(_name, _n),
            doc=f"{LAYOUT[_n]} -> [N, C, *out]; stride defaults to kernel_size",
        ))


def global_pool_shape(ins, a):
    (x,) = ins
    if len(x) < 3:
        raise ShapeError(f"global_pool expects an input [N, C, *spatial], got {shape_str(x)}")
    return tuple(x[:2])


register(OpDef(
    name="global_pool", family="pool", positional=("mode",),
    attrs=(Attr("mode", "choice", "mean", choices=("max", "mean")),),
    shape=global_pool_shape, doc="[N, C, *spatial] -> [N, C]",
))
