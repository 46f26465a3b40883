"""Both backends build every zoo spec and the U-Net, and on a small valid input agree in float64 on the
output and every gradient, in eval and in training mode (dropout and stochastic depth held in eval
mode: each backend draws its own masks). Forms: the NumPy model, the torch module, and the emitted torch
source (with its one class per block); models of over 50M parameters (AlexNet's and VGG's classifiers)
compare the NumPy model and the torch module only."""

import pytest

import archc
from tests.conftest import SPECS
from tests.forms import assert_agree, run_forms

torch = pytest.importorskip("torch", reason="torch is an optional extra; CI installs it")

ZOO = sorted(SPECS.glob("zoo/*.arch"))
NETS = [*ZOO, *sorted(SPECS.glob("unet.arch"))]
HEAVY = 50_000_000
# In training mode a batch of 2 reaches the last stages at 1x1: each batchnorm there normalises two
# numbers, so the gradients are ill-conditioned (entries of 1e7 from a loss of order 1) and two correct
# float64 evaluations in different summation orders (NumPy's BLAS, torch's) differ by up to 1e-6 of the
# largest entry (ResNet-50, MNASNet, EfficientNet). Eval mode is well-conditioned and keeps the 1e-9 default.
TRAIN_TOL = 1e-5
SIZES = (32, 48, 64, 80)
def smallest_input(path):
    """The smallest of SIZES (square, batch 2) the network takes: the tests' float64 runs stay cheap."""
    channels = archc.load(str(path)).inputs[0].shape[1]
    for r in SIZES:
        try:
            return archc.check(str(path), input_shape=(2, channels, r, r))
        except archc.ArchcError:
            continue
    raise AssertionError(f"{path.name} takes none of {SIZES}")


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("path", NETS, ids=lambda p: p.stem)
def test_zoo_backends_agree(path, training, tmp_path):
    typed = smallest_input(path)
    heavy = typed.total_params > HEAVY
    forms = ("numpy", "torch-autograd") if heavy else ("numpy", "torch-autograd", "torch-emitted-autograd")
    assert_agree(typed, run_forms(typed, tmp_path, training, forms), tol=TRAIN_TOL if training else 1e-9)
