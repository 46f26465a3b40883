"""Elementwise activations and the softmax family: output shape = input shape."""

from archc.ops.base import Attr, OpDef, register


def same_shape(ins, a):
    return ins[0]


def _activation(name, *attrs, doc=""):
    register(OpDef(name=name, family="activation", attrs=attrs, shape=same_shape,
                   positional=tuple(x.name for x in attrs), doc=doc or "[*] -> [*]"))


_activation("identity")
_activation("relu")
_activation("leaky_relu", Attr("negative_slope", "float", 0.01))
_activation("elu", Attr("alpha", "float", 1.0))
_activation("gelu", Attr("approximate", "choice", "none", choices=("none", "tanh")))
_activation("tanh")
_activation("sigmoid")
_activation("softmax", Attr("dim", "int", -1), doc="[*] -> [*], rows along `dim` sum to 1")
_activation("log_softmax", Attr("dim", "int", -1))
