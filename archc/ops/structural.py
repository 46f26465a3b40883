"""Ops that reshape or regularise: flatten, dropout."""

from archc.dims import product, shape_str
from archc.errors import ShapeError
from archc.ops.base import Attr, OpDef, register, same_shape


def flatten_shape(ins, a):
    (x,) = ins
    s = a["start_dim"]
    if not 0 <= s < len(x):
        raise ShapeError(f"flatten: start_dim={s} is out of range for input {shape_str(x)}")
    return (*x[:s], product(x[s:]))


register(OpDef(name="flatten", family="shape", positional=("start_dim",),
               attrs=(Attr("start_dim", "int", 1, minimum=0, doc="the first dim to merge"),),
               shape=flatten_shape, label=lambda a, ins: f"from dim {a['start_dim']}" if a["start_dim"] != 1 else "",
               doc="merge the dims from start_dim on, channel-major (as torch.flatten)",
               inputs_doc="[N, C, *] -> [N, C*prod(*)]"))

register(OpDef(name="dropout", family="regularize", positional=("p",), elementwise=True,
               attrs=(Attr("p", "float", 0.5, minimum=0, maximum=1, doc="probability of zeroing an element"),),
               shape=same_shape, label=lambda a, ins: f"p={a['p']:g}",
               doc="zero each element with probability p and scale by 1/(1-p) in training; identity in eval",
               inputs_doc="[*] -> [*]"))
