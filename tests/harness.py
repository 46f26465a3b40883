"""`check_op`: one NumPy layer against float64 central differences and against torch."""

import copy

import numpy as np

from archc.emit_numpy import LAYERS


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


def relative_error(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


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
        errors[name] = relative_error(numeric, exact)
    return errors
