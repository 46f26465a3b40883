"""Running one checked network in several forms (the NumPy model, the emitted NumPy source, the torch
module, the emitted torch source, with autograd or hand-written backward passes) on the same weights,
inputs and output gradient, and comparing outputs and every gradient in float64."""

import numpy as np

import archc
from archc.ops import REGISTRY
from tests.emitted import load_source, model_class

ALL = ("numpy", "numpy-emitted", "torch-autograd", "torch-emitted-autograd", "torch-manual", "torch-emitted-manual")


def randomize(model, rng):
    """Random weights everywhere (BatchNorm affine and running statistics included)."""
    for v in model.parameters().values():
        v[...] = rng.standard_normal(v.shape) * (0.5 if v.ndim > 1 else 0.1)
    for k, v in model.buffers().items():
        if k.endswith("running_mean"):
            v[...] = rng.standard_normal(v.shape) * 0.1
        elif k.endswith("running_var"):
            v[...] = rng.uniform(0.5, 1.5, v.shape)


def random_layers(typed):
    """The nodes whose training-mode output is random (dropout, stochastic depth): held in eval mode in
    training-mode comparisons, since each backend draws its own masks."""
    return [n.name for n in typed.graph.nodes if REGISTRY[n.op].family == "regularize"]


def set_mode(model, training, held, torch_module=False):
    model.train(training)
    for name in held:
        if torch_module:
            model.get_submodule(name).eval()
        else:
            model.layers[name].training = False


def _numpy(model, x, g):
    model.zero_grad()
    y = model.forward(x)
    return y, model.backward(g), model.gradients()


def _torch(torch, module, x, g):
    xt = torch.tensor(x, requires_grad=True)
    y = module(xt)
    y.backward(torch.tensor(g))
    return y.detach().numpy(), xt.grad.numpy(), {k: p.grad.numpy() for k, p in module.named_parameters()}


def run_forms(typed, tmp_path, training, forms=ALL, seed=0):
    """{form: (output, dL/dx, {parameter: gradient})} on random weights and inputs."""
    rng = np.random.default_rng(seed)
    model = archc.compile(typed, dtype=np.float64)
    randomize(model, rng)
    state = model.state_dict()
    held = random_layers(typed) if training else []
    x = rng.standard_normal(tuple(d if isinstance(d, int) else 2 for d in typed.shapes[typed.graph.inputs[0].name]))
    set_mode(model, training, held)
    g = rng.standard_normal(model.forward(x).shape)
    results = {"numpy": _numpy(model, x, g)}
    if "numpy-emitted" in forms:
        emitted = model_class(load_source(archc.emit(typed, target="numpy"), tmp_path), typed.graph.name)(
            dtype=np.float64)
        emitted.load_state_dict(state)
        emitted.train(training)
        for name in held:
            emitted.layers()[name].training = False
        y = emitted.forward(x)
        emitted.zero_grad()
        results["numpy-emitted"] = (y, emitted.backward(g), emitted.gradients())
    if not any(f.startswith("torch") for f in forms):
        return results
    import torch

    t_state = {k: torch.from_numpy(np.asarray(v)) for k, v in state.items()}
    for backward in ("autograd", "manual"):
        made = {}
        if f"torch-{backward}" in forms:
            made[f"torch-{backward}"] = archc.compile(typed, target="torch", backward=backward).double()
        if f"torch-emitted-{backward}" in forms:
            source = load_source(archc.emit(typed, backward=backward), tmp_path)
            made[f"torch-emitted-{backward}"] = model_class(source, typed.graph.name)().double()
        for label, module in made.items():
            module.load_state_dict(t_state, strict=True)
            set_mode(module, training, held, torch_module=True)
            results[label] = _torch(torch, module, x, g)
    return results


def assert_agree(typed, results, tol: float = 1e-9):
    """Every form's output, dL/dx and parameter gradients equal the NumPy model's, to ``tol`` relative to
    each tensor's largest entry."""
    y0, dx0, grads0 = results["numpy"]
    scale = max(1.0, float(np.abs(y0).max()))
    # torch's float64 hardsigmoid gradient multiplies by 1/6 rounded to float32 (3e-8 off, as in
    # tests/op_cases.py; autograd differentiates it in every torch form), so the torch forms' gradients
    # behind a hardsigmoid agree to about 1e-7 (and, through a training-mode batchnorm, to about 1e-6)
    hardsigmoid = any(n.op == "hardsigmoid" for n in typed.graph.nodes)
    for label, (y, dx, grads) in results.items():
        t = max(tol, 1e-6) if hardsigmoid and label.startswith("torch") else tol
        np.testing.assert_allclose(y, y0, rtol=max(1e-9, tol), atol=tol * scale, err_msg=f"{label}: output")
        np.testing.assert_allclose(dx, dx0, rtol=max(1e-8, t), atol=t * max(1.0, float(np.abs(dx0).max())),
                                   err_msg=f"{label}: dL/dx")
        assert set(grads) == set(grads0), label
        for k, v in grads.items():
            ref = grads0[k]
            np.testing.assert_allclose(v, ref, rtol=max(1e-8, t), atol=t * max(1.0, float(np.abs(ref).max())),
                                       err_msg=f"{label}: {k}")


def assert_matches_hand_written(model, ref, x, training, rng):
    """The NumPy model and a hand-written torch module ``ref`` (float64) that lists the same layers in the
    order the network runs them, on the NumPy model's weights: outputs to 1e-9, dL/dx to 1e-8. Returns
    the NumPy output."""
    import torch

    ours, theirs = model.state_dict(), ref.state_dict()
    assert len(ours) == len(theirs)
    # the two name their layers differently; both list them in the order the network runs them
    for (k, v), (key, t) in zip(ours.items(), theirs.items()):
        assert tuple(np.shape(v)) == tuple(t.shape), (k, key)
        t.copy_(torch.from_numpy(np.asarray(v)))
    model.train(training)
    ref.train(training)
    y = model.forward(x)
    g = rng.standard_normal(y.shape)
    dx = model.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-8, atol=1e-9)
    return y
