"""The independent PyTorch reference of every op: the ``reference`` column of tests/op_cases.py."""

from types import SimpleNamespace

import torch
import torch.nn.functional as F

from tests.op_cases import CASES


def reference(op, attrs, params, buffers, inputs, training=True):
    """The output of ``op`` computed by torch; ``buffers`` are updated in place (batchnorm)."""
    t = SimpleNamespace(torch=torch, F=F, a=attrs, p=params, b=buffers, xs=inputs, x=inputs[0], training=training)
    return CASES[op].reference(t)
