"""archc import on small models: a bare layer as the model, and equal sub-sequences folded into `repeat`.
Each import is verified (float64, eval) and its state dict has the model's keys."""

import pytest

import archc
from archc.importer.errors import ModelImportError
from tests.import_check import imported

torch = pytest.importorskip("torch")
nn = torch.nn


@pytest.mark.parametrize("layer,shape,keys", [(lambda: nn.Linear(3, 4), (2, 3), "weight, bias"),
                                              (lambda: nn.Conv2d(2, 3, 3), (1, 2, 5, 5), "weight, bias"),
                                              (lambda: nn.BatchNorm1d(3), (2, 3), "weight, bias, running_mean")])
def test_a_bare_layer_with_weights_is_refused_with_the_way_round_it(layer, shape, keys):
    with pytest.raises(ModelImportError) as err:
        archc.import_module(layer(), torch.randn(shape))
    text = str(err.value)
    assert f"state-dict keys ({keys}" in text and "no layer name" in text
    assert "nn.Sequential(model)" in text and "0.weight, 0.bias" in text
    result = imported(nn.Sequential(layer()), shape)  # what the hint says works, with the keys it names
    assert list(result.state)[:2] == ["0.weight", "0.bias"]


def test_a_bare_layer_without_weights_imports_as_one_layer():
    result = imported(nn.ReLU(), (2, 3))
    assert "  relu : [N, 3]\n" in result.spec and result.state == {}


def _stage(n):
    return nn.Sequential(*[nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.ReLU()) for _ in range(n)])


def test_equal_sub_sequences_fold_into_a_repeat_keeping_their_keys():
    model = nn.Sequential(nn.Conv2d(4, 4, 1), _stage(3), nn.ReLU(), _stage(2))
    result = imported(model, (1, 4, 8, 8))
    text = result.spec
    assert "  repeat 3 as 1 {\n    seq {\n      conv2d(4, 3, padding=1) -> relu\n    }\n  }\n" in text
    assert "  repeat 2 as 3 {\n    seq {\n" in text and text.count("conv2d(4, 3, padding=1)") == 2
    keys = list(model.state_dict())
    assert list(result.state) == keys and "1.2.0.weight" in keys and "3.1.0.bias" in keys
    assert list(archc.compile(text, target="torch").state_dict()) == keys
    assert archc.check(text).total_params == 4 * 4 + 4 + 5 * (4 * 4 * 9 + 4)


def test_sub_sequences_that_differ_are_not_folded():
    model = nn.Sequential(nn.Conv2d(4, 4, 1), nn.Sequential(_stage(1)[0], nn.Sequential(nn.Conv2d(4, 4, 1), nn.ReLU())))
    text = imported(model, (1, 4, 8, 8)).spec
    assert "repeat" not in text and "conv2d(4, 3, padding=1)" in text and text.count("conv2d(4, 1)") == 2


def test_equal_sub_sequences_at_the_top_stay_named_seqs():
    """At the network's top level names are not numbers by default: an unnamed repeat there would be a
    group `repeat_1`, so the model's `0.0.weight` keys need the seqs named 0, 1, 2."""
    result = imported(_stage(3), (1, 4, 8, 8))
    assert "repeat" not in result.spec and "seq as 2 {" in result.spec
    assert list(result.state) == list(_stage(3).state_dict())
