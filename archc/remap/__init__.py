"""Weight conversion between equivalent architectures."""

from archc.remap.matrix import conv_matrix, network_matrix
from archc.remap.scan import cnn_to_mlp, mlp_to_cnn, shared_slices
from archc.remap.stack import ConvStack, conv_stack

__all__ = ["ConvStack", "cnn_to_mlp", "conv_matrix", "conv_stack", "mlp_to_cnn", "network_matrix", "shared_slices"]
