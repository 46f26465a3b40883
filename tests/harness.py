"""`check_op`: one NumPy layer against float64 central differences and against torch."""

import copy

import numpy as np

from archc.emit_numpy import LAYERS
from archc.ops import REGISTRY


def make_layer(op, attrs, shapes, params, buffers, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    layer = LAYERS[op](attrs, shapes, params, buffers, np.dtype(dtype), rng)
    for k, v in layer.params.items():  # random affine parameters, not just ones and zeros
        layer.params[k] = rng.standard_normal(v.shape).astype(dtype)
    layer.zero_grad()
    return layer


def _loss(layer, inputs, G, rng_state):
    if rng_state is not None:
        layer.rng = copy.deepcopy(rng_state)
    return float((layer.forward(*[x.copy() for x in inputs]) * G).sum())


def relative_error(a, b, floor=1e-12):
    """||a - b|| relative to ||a|| + ||b||, or to ``floor`` where both are smaller."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), floor))


def finite_difference_errors(layer, inputs, seed, h=1e-6, samples=24):
    """{quantity: relative error} for dLdA (each input) and each parameter gradient."""
    rng = np.random.default_rng(seed)
    rng_state = copy.deepcopy(getattr(layer, "rng", None))
    if rng_state is not None:
        layer.rng = copy.deepcopy(rng_state)
    Z = layer.forward(*[x.copy() for x in inputs])
    G = rng.standard_normal(Z.shape)
    layer.zero_grad()
    grads = layer.backward(G.copy())
    grads = grads if isinstance(grads, tuple) else (grads,)
    targets = [(f"dLdA[{i}]", x, g) for i, (x, g) in enumerate(zip(inputs, grads))]
    targets += [(f"dLd{k}", layer.params[k], layer.grads[k]) for k in layer.params]
    # a central difference of the loss L is off by about eps * |L| / h = 1e-10 |L| from rounding alone, so a
    # gradient much smaller than L (a bias before a near-cancelling sum) is compared relative to 1e-3 |L|:
    # rounding then stays under 1e-6, and a wrong gradient larger than 1e-9 |L| still fails
    floor = max(1e-3 * abs(_loss(layer, inputs, G, rng_state)), 1e-12)
    errors = {}
    for name, tensor, analytic in targets:
        flat = tensor.reshape(-1)
        picks = rng.choice(flat.size, size=min(samples, flat.size), replace=False)
        numeric, exact = [], []
        for i in picks:
            old = flat[i]
            flat[i] = old + h
            up = _loss(layer, inputs, G, rng_state)
            flat[i] = old - h
            down = _loss(layer, inputs, G, rng_state)
            flat[i] = old
            numeric.append((up - down) / (2 * h))
            exact.append(np.asarray(analytic).reshape(-1)[i])
        errors[name] = relative_error(numeric, exact, floor)
    return errors


def inputs_for(shapes, seed, dtype=np.float64, scale=1.0):
    rng = np.random.default_rng(seed + 1)
    return [(scale * rng.standard_normal(s)).astype(dtype) for s in shapes]


def check_finite_differences(case, seed, tol=1e-6, scale=1.0):
    """Every gradient of the op's NumPy layer (dLdA of each input, dLd<param>) against float64 central
    differences; an AssertionError names the quantity."""
    op, attrs, shapes, _out, params, buffers = case
    layer = make_layer(op, attrs, shapes, params, buffers, seed)
    for quantity, err in finite_difference_errors(layer, inputs_for(shapes, seed, scale=scale), seed).items():
        assert err < tol, f"{op} {quantity}: relative error {err:.2e} with attrs {attrs}, inputs {shapes}"


def check_against_torch(case, seed, torch, tol=1e-8, scale=1.0):
    """The op's NumPy layer against the independent torch reference: output, every gradient, buffers."""
    from tests.torch_ref import reference

    op, attrs, shapes, out, params, buffers = case
    layer = make_layer(op, attrs, shapes, params, buffers, seed)
    training = REGISTRY[op].family != "regularize"  # random masks are compared in eval mode
    layer.training = training
    inputs = inputs_for(shapes, seed, scale=scale)
    t_inputs = [torch.tensor(x, requires_grad=True) for x in inputs]
    t_params = {k: torch.tensor(v, requires_grad=True) for k, v in layer.params.items()}
    t_buffers = {k: torch.tensor(v) for k, v in layer.buffers.items()}
    Z = layer.forward(*[x.copy() for x in inputs])
    t_Z = reference(op, attrs, t_params, t_buffers, t_inputs, training)
    assert Z.shape == tuple(t_Z.shape) == tuple(out), f"{op}: shape {Z.shape} vs torch {tuple(t_Z.shape)}"
    np.testing.assert_allclose(Z, t_Z.detach().numpy(), rtol=tol, atol=tol, err_msg=f"{op} output, {attrs}")
    G = np.random.default_rng(seed + 2).standard_normal(Z.shape)
    grads = layer.backward(G.copy())
    grads = grads if isinstance(grads, tuple) else (grads,)
    t_Z.backward(torch.tensor(G))
    for i, (g, t) in enumerate(zip(grads, t_inputs)):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=tol, atol=tol, err_msg=f"{op} dLdA[{i}], {attrs}")
    for k, t in t_params.items():
        np.testing.assert_allclose(layer.grads[k], t.grad.numpy(), rtol=tol, atol=tol, err_msg=f"{op} dLd{k}")
    for k in ("running_mean", "running_var"):
        if k in t_buffers:
            np.testing.assert_allclose(layer.buffers[k], t_buffers[k].numpy(), rtol=tol, atol=1e-10, err_msg=k)


def check_op(case, seed, scale=1.0):
    """One op case through every check available: finite differences always, torch where installed."""
    check_finite_differences(case, seed, scale=scale)
    try:
        import torch
    except ImportError:
        return
    check_against_torch(case, seed, torch, scale=scale)
