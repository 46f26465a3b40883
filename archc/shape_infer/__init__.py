"""Static shape inference over the IR."""

from archc.shape_infer.infer import check_inputs, infer
from archc.shape_infer.typed import LayerInfo, TypedGraph

__all__ = ["LayerInfo", "TypedGraph", "check_inputs", "infer"]
