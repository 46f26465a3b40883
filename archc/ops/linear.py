"""linear: Z = A W^T + b over the last dimension."""

from archc.dims import product, shape_str
from archc.errors import ShapeError
from archc.ops.base import Attr, OpDef, register


def linear_shape(ins, a):
    (x,) = ins
    if len(x) < 2:
        raise ShapeError(f"linear expects an input of shape [N, ..., in_features], got {shape_str(x)}",
                         hint="insert `flatten` before linear")
    if not isinstance(x[-1], int):
        raise ShapeError(f"linear needs a concrete number of input features, got {shape_str(x)}",
                         hint="add a global pool, or give the input concrete sizes")
    return (*x[:-1], a["out_features"])


def linear_params(ins, a):
    p = {"weight": (a["out_features"], ins[0][-1])}
    if a["bias"]:
        p["bias"] = (a["out_features"],)
    return p


register(OpDef(
    name="linear", family="linear", positional=("out_features",),
    attrs=(Attr("out_features", "int", minimum=1, doc="number of outputs"),
           Attr("bias", "bool", True, doc="add a learned bias")),
    shape=linear_shape, params=linear_params,
    macs=lambda ins, out, a: (out[0], product(out[1:-1]), ins[0][-1], a["out_features"]),
    label=lambda a, ins: f"{ins[0][-1]}→{a['out_features']}",
    doc="fully connected layer", inputs_doc="[N, *, in_features] -> [N, *, out_features]",
))
