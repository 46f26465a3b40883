"""The in-memory models and the emitted sources cannot disagree: every course spec and 200 random
networks (seeded) run through the NumPy model, its emitted source, the torch module, its emitted source,
and both again with hand-written backward passes; outputs and every gradient agree in float64, in
training mode (dropout held in eval mode: each backend draws its own masks) and in eval mode."""

import pytest

import archc
from tests.conftest import SPECS
from tests.forms import ALL, assert_agree, run_forms
from tests.random_nets import random_spec

SPEC_NETS = [(str(p), n.name) for p in sorted(SPECS.glob("*.arch")) for n in archc.parse(str(p)).networks]
CONCRETE = {"varres_cnn": (2, 1, 40, 48), "unet": (2, 1, 32, 48)}
RANDOM = list(range(200))


def _forms():
    try:
        import torch  # noqa: F401
    except ImportError:
        return ("numpy", "numpy-emitted")
    return ALL


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("spec,network", SPEC_NETS, ids=[f"{s.rsplit('/', 1)[1]}:{n}" for s, n in SPEC_NETS])
def test_every_spec_agrees_in_every_form(spec, network, training, tmp_path):
    typed = archc.check(spec, network, input_shape=CONCRETE.get(network))
    assert_agree(typed, run_forms(typed, tmp_path, training, _forms()))


@pytest.mark.parametrize("seed", RANDOM)
def test_random_networks_agree_in_every_form(seed, tmp_path):
    typed = archc.check(random_spec(seed))
    assert_agree(typed, run_forms(typed, tmp_path, seed % 2 == 0, _forms(), seed))


def test_the_comparison_catches_a_wrong_weight(tmp_path):
    """Negative control: one perturbed weight in one form must fail the comparison."""
    typed = archc.check(str(SPECS / "mnist_cnn.arch"))
    results = run_forms(typed, tmp_path, False, ("numpy", "numpy-emitted"))
    y, dx, grads = results["numpy-emitted"]
    results["numpy-emitted"] = (y * (1 + 1e-6), dx, grads)
    with pytest.raises(AssertionError, match="output"):
        assert_agree(typed, results)
