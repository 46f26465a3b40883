"""The acceptance test of an import: the spec, built by archc with the imported weights (strict), gives
the model's outputs (float64, eval mode)."""

from __future__ import annotations

import copy
from typing import Any

from archc.importer.errors import ModelImportError

RTOL, ATOL = 1e-9, 1e-12


def verify(model: Any, spec: str, state: dict[str, Any], example: Any) -> float:
    """The largest difference between the model's and the built spec's outputs on ``example``; a
    ModelImportError when they differ (beyond float64 rounding)."""
    import torch

    from archc.emit_torch import build_torch
    from archc.importer.spec import check_text

    built = build_torch(check_text(spec))  # archc.compile(spec, target="torch")
    built.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()}, strict=True)
    reference = copy.deepcopy(model).double().eval()
    built = built.double().eval()
    x = example.double()
    with torch.no_grad():
        want, got = reference(x), built(x)
    if tuple(want.shape) != tuple(got.shape):
        raise ModelImportError(f"the spec's output has shape {tuple(got.shape)}, the model's {tuple(want.shape)}")
    diff = float((want - got).abs().max()) if want.numel() else 0.0
    if not torch.allclose(want, got, rtol=RTOL, atol=ATOL):
        raise ModelImportError(f"the spec's outputs differ from the model's (largest difference {diff:.3g})",
                               hint="the model may do something its trace does not show (an in-place change "
                                    "of a value read twice, say)")
    return diff
