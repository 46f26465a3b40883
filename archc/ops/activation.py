"""Elementwise activations and the softmax family: the output has the input's shape."""

from archc.dims import shape_str
from archc.errors import ShapeError
from archc.ops.base import KEEP, Attr, OpDef, register, same_shape

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


# -- the activations of the torchvision zoo ------------------------------------------------------------
def hardtanh_shape(ins, a):
    if a["min_val"] >= a["max_val"]:
        raise ShapeError(f"hardtanh: min_val={a['min_val']:g} must be less than max_val={a['max_val']:g}")
    return ins[0]


register(OpDef(name="hardtanh", family="activation", shape=hardtanh_shape, elementwise=True,
               positional=("min_val", "max_val"),
               attrs=(Attr("min_val", "float", -1.0, doc="the lower clip"),
                      Attr("max_val", "float", 1.0, doc="the upper clip")),
               label=lambda a, ins: f"[{a['min_val']:g}, {a['max_val']:g}]",
               doc="Z = min(max(A, min_val), max_val)", inputs_doc=ANY))
register(OpDef(name="silu", family="activation", attrs=(), shape=same_shape, elementwise=True,
               doc="Z = A sigmoid(A) (swish)", inputs_doc=ANY))
register(OpDef(name="hardswish", family="activation", attrs=(), shape=same_shape, elementwise=True,
               doc="Z = A relu6(A + 3) / 6", inputs_doc=ANY))
register(OpDef(name="hardsigmoid", family="activation", attrs=(), shape=same_shape, elementwise=True,
               doc="Z = relu6(A + 3) / 6", inputs_doc=ANY))
register(OpDef(name="mish", family="activation", attrs=(), shape=same_shape, elementwise=True,
               doc="Z = A tanh(softplus(A))", inputs_doc=ANY))
register(OpDef(name="softplus", family="activation", shape=same_shape, elementwise=True, positional=("beta",),
               attrs=(Attr("beta", "float", 1.0, above=0, doc="sharpness"),
                      Attr("threshold", "float", 20.0, doc="above beta*A > threshold the op is the identity")),
               label=lambda a, ins: f"β={a['beta']:g}" if a["beta"] != 1 else "",
               doc="Z = log(1 + exp(beta A)) / beta", inputs_doc=ANY))


def prelu_params(ins, a):
    x = ins[0]
    n = a["num_parameters"]
    if n != 1 and (len(x) < 2 or x[1] != n):
        raise ShapeError(f"prelu: num_parameters={n} must be 1 or the channel count, got input {shape_str(x)}")
    return {"weight": (n,)}


def prelu_shape(ins, a):
    prelu_params(ins, a)
    return ins[0]


register(OpDef(name="prelu", family="activation", shape=prelu_shape, params=prelu_params,
               positional=("num_parameters",),
               attrs=(Attr("num_parameters", "int", 1, minimum=1, doc="1 (one slope) or the channel count"),
                      Attr("init", "float", 0.25, doc="the initial slope for A < 0")),
               window=KEEP, doc="Z = A if A > 0 else weight * A, a learned slope (per channel)", inputs_doc=ANY))
