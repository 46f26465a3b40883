"""The op registry. Importing this package registers every op."""

from archc.ops import activation, conv, linear, merge, norm, pool, resample, shape, structural  # noqa: F401
from archc.ops.attrs import Attr, bind_attrs, did_you_mean
from archc.ops.base import KEEP, REGISTRY, VARIADIC, OpDef, Trace, get_op, register, tracing

__all__ = ["KEEP", "REGISTRY", "VARIADIC", "Attr", "OpDef", "Trace", "bind_attrs", "did_you_mean", "get_op",
           "register", "tracing"]
