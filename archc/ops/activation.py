"""Elementwise activations and the softmax family: the output has the input's shape."""

from archc.errors import ShapeError
from archc.ops.base import Attr, OpDef, register, same_shape

ANY = "[*] -> [*]"


def _in_rank(ins, a):
    """softmax / log_softmax: ``dim`` must name one of the input's dims."""
    x = ins[0]
    if not -len(x) <= a["dim"] < len(x):
        raise ShapeError(f"dim={a['dim']} is out of range for an input of rank {len(x)} (valid: "
                         f"{-len(x)} to {len(x) - 1})")
    return x


register(OpDef(name="identity", family="activation", attrs=(), shape=same_shape, elementwise=True,
               doc="Z = A", inputs_doc=ANY))
register(OpDef(name="relu", family="activation", attrs=(), shape=same_shape, elementwise=True,
               doc="Z = max(A, 0)", inputs_doc=ANY))
register(OpDef(name="relu6", family="activation", attrs=(), shape=same_shape, elementwise=True,
               doc="Z = min(max(A, 0), 6)", inputs_doc=ANY))
register(OpDef(name="leaky_relu", family="activation", shape=same_shape, elementwise=True,
               attrs=(Attr("negative_slope", "float", 0.01, doc="slope for A < 0"),), positional=("negative_slope",),
               label=lambda a, ins: f"slope {a['negative_slope']:g}",
               doc="Z = A if A > 0 else negative_slope * A", inputs_doc=ANY))
register(OpDef(name="elu", family="activation", shape=same_shape, elementwise=True,
               attrs=(Attr("alpha", "float", 1.0, doc="the saturation value for A -> -inf is -alpha"),),
               positional=("alpha",), label=lambda a, ins: f"α={a['alpha']:g}",
               doc="Z = A if A > 0 else alpha (exp(A) - 1)", inputs_doc=ANY))
register(OpDef(name="gelu", family="activation", shape=same_shape, elementwise=True,
               attrs=(Attr("approximate", "choice", "none", choices=("none", "tanh"),
                           doc="none: A Φ(A) with the exact normal CDF; tanh: its tanh approximation"),),
               positional=("approximate",), label=lambda a, ins: "" if a["approximate"] == "none" else "tanh approx.",
               doc="Z = A Φ(A)", inputs_doc=ANY))
register(OpDef(name="tanh", family="activation", attrs=(), shape=same_shape, elementwise=True,
               doc="Z = tanh(A)", inputs_doc=ANY))
register(OpDef(name="sigmoid", family="activation", attrs=(), shape=same_shape, elementwise=True,
               doc="Z = 1 / (1 + exp(-A))", inputs_doc=ANY))
register(OpDef(name="softmax", family="activation", shape=_in_rank, positional=("dim",),
               attrs=(Attr("dim", "int", -1, doc="the dim whose entries sum to 1"),),
               label=lambda a, ins: f"dim {a['dim']}",
               doc="Z = exp(A) / sum(exp(A)) along dim", inputs_doc=ANY))
register(OpDef(name="log_softmax", family="activation", shape=_in_rank, positional=("dim",),
               attrs=(Attr("dim", "int", -1, doc="the dim to normalise along"),),
               label=lambda a, ins: f"dim {a['dim']}",
               doc="Z = A - logsumexp(A) along dim", inputs_doc=ANY))
