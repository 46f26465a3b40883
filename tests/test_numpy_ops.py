"""Every registered op's NumPy layer, through the check_op harness (tests/harness.py): backward
against central differences (float64; needs no torch) and forward/backward against PyTorch
(float64, tol 1e-8; skipped per test where torch is not installed), over a hypothesis sweep
of shapes, strides, paddings, dilations and channels drawn from tests/op_cases.py."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from archc.ops import REGISTRY
from tests.harness import (
    check_against_torch,
    check_finite_differences,
    finite_difference_errors,
    inputs_for,
    make_layer,
)
from tests.op_cases import CASES, resolve

OPS = sorted(REGISTRY)
SWEEP = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.filter_too_much])


@pytest.mark.parametrize("op", OPS)
@SWEEP
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_backward_matches_finite_differences(op, data, seed):
    case = resolve(data.draw(CASES[op].strategy))
    assume(case is not None)
    check_finite_differences(case, seed, scale=CASES[op].scale)


@pytest.mark.parametrize("op", OPS)
@SWEEP
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_matches_torch(op, data, seed):
    torch = pytest.importorskip("torch", reason="torch is an optional extra; CI installs it")
    case = resolve(data.draw(CASES[op].strategy))
    assume(case is not None)
    check_against_torch(case, seed, torch, tol=CASES[op].tol, scale=CASES[op].scale)


@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
def test_every_op_keeps_float32(op, data):
    case = resolve(data.draw(CASES[op].strategy))
    assume(case is not None)
    op, attrs, shapes, _out, params, buffers = case
    layer = make_layer(op, attrs, shapes, params, buffers, 0, dtype=np.float32)
    Z = layer.forward(*inputs_for(shapes, 0, np.float32))
    assert Z.dtype == np.float32, op
    grads = layer.backward(np.ones(Z.shape, dtype=np.float32))
    for g in grads if isinstance(grads, tuple) else (grads,):
        assert g.dtype == np.float32, op
    for k, g in layer.grads.items():
        assert g.dtype == np.float32, (op, k)


def test_finite_difference_check_catches_a_wrong_backward():
    """Negative control: a backward that is 1% off must fail the check."""
    case = resolve(("conv2d", (3,), {"kernel_size": 3, "padding": 1}, [(2, 2, 5, 5)]))
    op, attrs, shapes, _out, params, buffers = case
    layer = make_layer(op, attrs, shapes, params, buffers, 0)
    true_backward = layer.backward
    layer.backward = lambda dLdZ: true_backward(dLdZ) * 1.01
    errors = finite_difference_errors(layer, inputs_for(shapes, 0), 0)
    assert errors["dLdA[0]"] > 1e-3
    # ... and a too-large step makes even a correct backward fail a 1e-6 tolerance
    layer = make_layer("gelu", {"approximate": "none"}, [(3, 4)], {}, {}, 0)
    errors = finite_difference_errors(layer, inputs_for([(3, 4)], 0), 0, h=0.5)
    assert errors["dLdA[0]"] > 1e-6


def test_torch_check_catches_a_wrong_forward():
    """Negative control for the torch comparison: a forward that is off must fail it."""
    torch = pytest.importorskip("torch", reason="torch is an optional extra; CI installs it")
    from archc.emit_numpy import LAYERS

    case = resolve(("tanh", (), {}, [(3, 4)]))
    cls = LAYERS["tanh"]
    original = cls.forward
    try:
        cls.forward = lambda self, A: original(self, A) * 1.001
        with pytest.raises(AssertionError):
            check_against_torch(case, 0, torch)
    finally:
        cls.forward = original


def test_max_pool_ties_take_the_first_maximum_in_row_major_order():
    layer = make_layer("maxpool2d", {"kernel_size": (2, 2), "stride": (2, 2), "padding": (0, 0)},
                       [(1, 1, 2, 2)], {}, {}, 0)
    A = np.array([[[[1.0, 3.0], [3.0, 3.0]]]])
    assert layer.forward(A).item() == 3.0
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 1, 1))), [[[[0, 1], [0, 0]]]])
    glob = make_layer("global_pool", {"mode": "max", "keepdim": False}, [(1, 1, 2, 2)], {}, {}, 0)
    glob.forward(A)
    np.testing.assert_array_equal(glob.backward(np.ones((1, 1))), [[[[0, 1], [0, 0]]]])


def test_dropout_masks_scale_and_vanish_in_eval():
    layer = make_layer("dropout", {"p": 0.25}, [(200, 50)], {}, {}, 0)
    A = np.ones((200, 50))
    Z = layer.forward(A)
    kept = Z != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(Z[kept], 1 / 0.75)
    np.testing.assert_array_equal(layer.backward(np.ones_like(A)), Z)  # same mask in backward
    layer.training = False
    np.testing.assert_array_equal(layer.forward(A), A)
