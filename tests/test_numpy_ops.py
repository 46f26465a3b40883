"""Every registered op's NumPy layer: backward against central differences (float64) and
forward/backward against PyTorch (float64, tol 1e-8), over a hypothesis sweep of shapes,
strides, paddings, dilations and channels drawn from tests/op_cases.py."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from archc.emit_numpy import LAYERS
from archc.ops import REGISTRY
from tests.harness import finite_difference_errors, make_layer
from tests.op_cases import CASES, resolve

OPS = sorted(REGISTRY)


def test_every_registered_op_has_a_layer_and_a_case():
    assert set(LAYERS) == set(REGISTRY)
    assert set(CASES) == set(REGISTRY)


def _inputs(shapes, seed, dtype=np.float64):
    rng = np.random.default_rng(seed + 1)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


@pytest.mark.parametrize("op", OPS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_backward_matches_finite_differences(op, data, seed):
    case = resolve(data.draw(CASES[op]))
    assume(case is not None)
    op, attrs, shapes, _out, params, buffers = case
    layer = make_layer(op, attrs, shapes, params, buffers, seed)
    errors = finite_difference_errors(layer, _inputs(shapes, seed), seed)
    for quantity, err in errors.items():
        assert err < 1e-6, f"{op} {quantity}: relative error {err:.2e} with attrs {attrs}, inputs {shapes}"


torch = pytest.importorskip("torch", reason="torch is an optional extra; CI installs it")
from tests.torch_ref import reference  # noqa: E402


@pytest.mark.parametrize("op", OPS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_matches_torch(op, data, seed):
    case = resolve(data.draw(CASES[op]))
    assume(case is not None)
    op, attrs, shapes, out, params, buffers = case
    layer = make_layer(op, attrs, shapes, params, buffers, seed)
    training = op != "dropout"
    layer.training = training
    inputs = _inputs(shapes, seed)
    t_inputs = [torch.tensor(x, requires_grad=True) for x in inputs]
    t_params = {k: torch.tensor(v, requires_grad=True) for k, v in layer.params.items()}
    t_buffers = {k: torch.tensor(v) for k, v in layer.buffers.items()}
    Z = layer.forward(*[x.copy() for x in inputs])
    t_Z = reference(op, attrs, t_params, t_buffers, t_inputs, training)
    assert Z.shape == tuple(t_Z.shape) == tuple(out), f"{op}: shape {Z.shape} vs torch {tuple(t_Z.shape)}"
    np.testing.assert_allclose(Z, t_Z.detach().numpy(), rtol=1e-8, atol=1e-8, err_msg=f"{op} output, {attrs}")
    G = np.random.default_rng(seed + 2).standard_normal(Z.shape)
    grads = layer.backward(G.copy())
    grads = grads if isinstance(grads, tuple) else (grads,)
    t_Z.backward(torch.tensor(G))
    for i, (g, t) in enumerate(zip(grads, t_inputs)):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-8, atol=1e-8, err_msg=f"{op} dLdA[{i}], {attrs}")
    for k, t in t_params.items():
        np.testing.assert_allclose(layer.grads[k], t.grad.numpy(), rtol=1e-8, atol=1e-8, err_msg=f"{op} dLd{k}")
    for k in ("running_mean", "running_var"):
        if k in t_buffers:
            np.testing.assert_allclose(layer.buffers[k], t_buffers[k].numpy(), rtol=1e-8, atol=1e-10, err_msg=k)


@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
def test_every_op_keeps_float32(op, data):
    case = resolve(data.draw(CASES[op]))
    assume(case is not None)
    op, attrs, shapes, _out, params, buffers = case
    layer = make_layer(op, attrs, shapes, params, buffers, 0, dtype=np.float32)
    Z = layer.forward(*_inputs(shapes, 0, np.float32))
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
    errors = finite_difference_errors(layer, _inputs(shapes, 0), 0)
    assert errors["dLdA[0]"] > 1e-3
    # ... and a too-large step makes even a correct backward fail a 1e-6 tolerance
    layer = make_layer("gelu", {"approximate": "none"}, [(3, 4)], {}, {}, 0)
    errors = finite_difference_errors(layer, _inputs([(3, 4)], 0), 0, h=0.5)
    assert errors["dLdA[0]"] > 1e-6


def test_max_pool_ties_take_the_first_maximum_in_row_major_order():
    layer = make_layer("maxpool2d", {"kernel_size": (2, 2), "stride": (2, 2), "padding": (0, 0)},
                       [(1, 1, 2, 2)], {}, {}, 0)
    A = np.array([[[[1.0, 3.0], [3.0, 3.0]]]])
    assert layer.forward(A).item() == 3.0
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 1, 1))), [[[[0, 1], [0, 0]]]])
    glob = make_layer("global_pool", {"mode": "max"}, [(1, 1, 2, 2)], {}, {}, 0)
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
