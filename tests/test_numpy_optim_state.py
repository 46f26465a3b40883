"""The NumPy optimizers' state_dict/load_state_dict: a restored optimizer takes exactly the steps
the original would have taken."""

import numpy as np
import pytest

import archc
from archc.emit_numpy import SGD, Adam, build_numpy


def _mlp():
    return archc.check("network m { input x: [N, 6]\n linear(5) -> relu -> linear(3) }")


@pytest.mark.parametrize("make", [lambda m: SGD(m, lr=0.1, momentum=0.9, weight_decay=1e-3),
                                  lambda m: Adam(m, lr=0.01, weight_decay=1e-3)], ids=["sgd", "adam"])
def test_numpy_optimizer_state_round_trips(make):
    rng = np.random.default_rng(0)
    x, g = rng.normal(size=(4, 6)).astype(np.float32), rng.normal(size=(4, 3)).astype(np.float32)
    a, b = build_numpy(_mlp(), seed=1), build_numpy(_mlp(), seed=1)
    opt_a, opt_b = make(a), make(b)

    def step(model, opt):
        opt.zero_grad()
        model.forward(x)
        model.backward(g)
        opt.step()

    for _ in range(3):
        step(a, opt_a)
    state = opt_a.state_dict()
    b.load_state_dict(a.state_dict())
    opt_b.load_state_dict(state)
    for _ in range(2):
        step(a, opt_a)
        step(b, opt_b)
    for k, v in a.parameters().items():
        assert np.array_equal(v, b.parameters()[k]), k
    # the state is a copy, and a state for another optimizer is refused
    slots = {k: v for k, v in opt_a.state_dict().items() if isinstance(v, dict)}
    for arrays in slots.values():
        for arr in arrays.values():
            arr[...] = 7
    assert all(not np.any(arr == 7) for k, arrays in opt_a.state_dict().items() if isinstance(arrays, dict)
               for arr in arrays.values())
    other = Adam(b) if isinstance(opt_a, SGD) else SGD(b)
    with pytest.raises(archc.ArchcError, match="not"):
        other.load_state_dict(state)
