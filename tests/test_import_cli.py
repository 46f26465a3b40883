"""`archc import` from the command line: the spec and the weights it writes build the model again."""

import pytest

import archc
from archc.cli import main
from archc.weights import read_weights
from tests.conftest import ROOT

torch = pytest.importorskip("torch")


def test_import_writes_a_spec_and_weights_that_load_strictly(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT / "tests")
    spec, weights = tmp_path / "unet.arch", tmp_path / "unet.npz"
    args = ["import", "import_models.unet:UNet", "--args", '{"n_classes": 3, "base": 4}', "--input", "1,3,32,32",
            "-o", str(spec), "--weights", str(weights), "--verify"]
    assert main(args) == 0
    assert "verified: the spec gives the model's outputs" in capsys.readouterr().err
    from tests.import_models.unet import UNet

    model = UNet(n_classes=3, base=4)  # the same seed-free weights are not needed: load the file into both
    state = {k: torch.as_tensor(v) for k, v in read_weights(weights).items()}
    model.load_state_dict(state, strict=True)
    built = archc.compile(str(spec), target="torch")
    built.load_state_dict(state, strict=True)
    x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    with torch.no_grad():
        assert torch.equal(model.double().eval()(x), built.double().eval()(x))


def test_import_prints_the_spec_and_takes_positional_args(monkeypatch, capsys):
    monkeypatch.chdir(ROOT / "tests")
    assert main(["import", "import_models.densenet:DenseNet", "--args", "[4, [2]]", "--input", "1,3,8,8",
                 "--symbolic", "N,H,W", "--name", "tiny_dense"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("block dense_layer {") and "network tiny_dense {" in out
    assert "input x: [N, 3, H, W]" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["import", "no_such_module:f", "--input", "1,3"], "cannot import 'no_such_module'"),
    (["import", "import_models.unet", "--input", "1,3"], "expected PACKAGE.MODULE:CALLABLE"),
    (["import", "import_models.unet:Nope", "--input", "1,3"], "has no 'Nope'"),
    (["import", "import_models.unet:UNet", "--args", "[1, 2, 3, 4]", "--input", "1,3"], "raised TypeError"),
    (["import", "import_models.unet:UNet", "--args", "3", "--input", "1,3"], "must be a JSON object"),
    (["import", "import_models.unet:UNet", "--input", "1,3,32,32", "--symbolic", "N,Q"], "Q is not a dim"),
])
def test_import_usage_errors_are_diagnostics(argv, message, monkeypatch, capsys):
    monkeypatch.chdir(ROOT / "tests")
    assert main(argv) == 1
    assert message in capsys.readouterr().err


def test_an_input_the_model_does_not_take_is_a_diagnostic(monkeypatch, capsys):
    monkeypatch.chdir(ROOT / "tests")
    assert main(["import", "import_models.unet:UNet", "--input", "1,1,32,32"]) == 1
    err = capsys.readouterr().err
    assert "'inc.double_conv.0' (Conv2d): the model fails on an input of shape [1, 1, 32, 32]: RuntimeError" in err
    assert "unet.py:" in err
