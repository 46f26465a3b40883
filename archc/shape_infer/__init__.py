"""Static shape inference over the IR."""

from archc.shape_infer.infer import LayerInfo, TypedGraph, infer

__all__ = ["LayerInfo", "TypedGraph", "infer"]
