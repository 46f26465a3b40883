"""The PyTorch backend: nn.Modules in memory, readable standalone source, manual backward."""

from archc.emit_torch.build import CompiledModule, build_torch
from archc.emit_torch.source import emit_source

__all__ = ["CompiledModule", "build_torch", "emit_source"]
