"""Static shape inference over the IR."""

from archc.shape_infer.infer import LayerInfo, TypedGraph, check_inputs, infer

__all__ = ["LayerInfo", "TypedGraph", "check_inputs", "infer"]
