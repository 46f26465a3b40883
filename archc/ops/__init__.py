"""The op registry. Importing this package registers every op."""

from archc.ops import activation, conv, linear, norm, pool, resample, structural  # noqa: F401
from archc.ops.base import REGISTRY, Attr, OpDef, bind_attrs, get_op, register

__all__ = ["REGISTRY", "Attr", "OpDef", "bind_attrs", "get_op", "register"]
