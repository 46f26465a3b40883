"""Ops that move or merge data: flatten, dropout, add (residual)."""

from archc.dims import product, shape_str
from archc.errors import ShapeError
from archc.ops.activation import same_shape
from archc.ops.base import Attr, OpDef, register


def flatten_shape(ins, a):
    (x,) = ins
    s = a["start_dim"]
    if not 0 <= s < len(x):
        raise ShapeError(f"flatten: start_dim={s} is out of range for input {shape_str(x)}")
    return (*x[:s], product(x[s:]))


register(OpDef(name="flatten", family="shape", positional=("start_dim",),
               attrs=(Attr("start_dim", "int", 1, minimum=0),),
               shape=flatten_shape, doc="[N, C, *] -> [N, C*prod(*)] (channel-major)"))

register(OpDef(name="dropout", family="shape", positional=("p",),
               attrs=(Attr("p", "float", 0.5, minimum=0),), shape=same_shape,
               doc="[*] -> [*]; identity in eval mode"))


def add_shape(ins, a):
    x, y = ins
    if tuple(x) != tuple(y):
        raise ShapeError(f"add: shapes differ: {shape_str(x)} + {shape_str(y)}",
                         hint="a residual branch must keep the shape; give it a shortcut branch")
    return x


register(OpDef(name="add", family="merge", positional=("other",),
               attrs=(Attr("other", "ref"),), shape=add_shape,
               doc="[*] + [*] -> [*] (the current value plus `other`)"))
