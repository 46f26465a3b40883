"""What a spec cannot say is one diagnostic naming the module path and the model's source line (the line
marked ``# case: NAME`` below), never a traceback: unsupported modules and functions, control flow on
values, in-place tricks, sizes computed from values, shared weights."""

from pathlib import Path

import pytest

import archc
from archc.importer.errors import ModelImportError

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

SOURCE = Path(__file__).read_text().splitlines()


def line_of(case: str) -> int:
    return next(i for i, text in enumerate(SOURCE, 1) if text.rstrip().endswith(f"# case: {case}"))


class Net(nn.Module):
    """A stem convolution, then the body under test (called ``body``), as most models nest their parts."""

    def __init__(self, body: nn.Module, channels: int = 4) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, channels, 3, padding=1)
        self.body = body

    def forward(self, x):
        return self.body(self.stem(x))


class Body(nn.Module):
    def __init__(self, forward, **modules) -> None:
        super().__init__()
        self._forward = forward
        for k, v in modules.items():
            setattr(self, k, v)

    def forward(self, x):
        return self._forward(self, x)


def lstm(self, x):
    return self.rnn(x.flatten(2))  # case: module


def where(self, x):
    return torch.exp(x)  # case: function


def branch(self, x):
    if x.sum() > 0:  # case: control
        return x
    return -x


def item(self, x):
    n = int(x.abs().max().item())  # case: value
    return x[:, :n]


def inplace(self, x):
    y = self.relu(x)  # case: inplace
    return y + x


def setitem(self, x):
    x[:, 0] = 0  # case: setitem
    return x


def shared(self, x):
    return self.conv(self.conv(x))  # case: shared


def view(self, x):
    return x.view(x.size(0), 2, -1)  # case: view


def constant(self, x):
    return x + 1  # case: constant


def reflect(self, x):
    return self.conv(x)  # case: padding_mode


def no_stats(self, x):
    return self.bn(x)  # case: running_stats


def dropout(self, x):
    return F.dropout(x, 0.5)  # case: dropout


def attribute(self, x):
    return x + self.pos  # case: attribute


def slicing(self, x):
    return x[:, :2]  # case: slice


def two(self, x):
    return x.relu(), x.sigmoid()  # case: outputs


CASES = {
    "module": (lstm, {"rnn": nn.LSTM(64, 8)}, "LSTM has no archc op", "'body.rnn' (LSTM)"),
    "function": (where, {}, "exp() has no archc op", "'body' (Body)"),
    "control": (branch, {}, "branches or loops on a tensor's values", "'body' (Body)"),
    "value": (item, {}, "computes a number (a size) from a tensor's values", "'body' (Body)"),
    "inplace": (inplace, {"relu": nn.ReLU(inplace=True)}, "in-place relu changes a value", "'body.relu' (ReLU)"),
    "setitem": (setitem, {}, "assigning into a tensor", "'body' (Body)"),
    "shared": (shared, {"conv": nn.Conv2d(4, 4, 3, padding=1)}, "called more than once", "'body.conv' (Conv2d)"),
    "view": (view, {}, "view from [2, 4, 8, 8] to [2, 2, 128] is not a flatten", "'body' (Body)"),
    "constant": (constant, {}, "adding a constant (1)", "'body' (Body)"),
    "padding_mode": (reflect, {"conv": nn.Conv2d(4, 4, 3, padding=1, padding_mode="reflect")},
                     "padding_mode='reflect'", "'body.conv' (Conv2d)"),
    "running_stats": (no_stats, {"bn": nn.BatchNorm2d(4, track_running_stats=False)},
                      "track_running_stats=False", "'body.bn' (BatchNorm2d)"),
    "dropout": (dropout, {}, "dropout with training=True while the model is in eval mode", "'body' (Body)"),
    "attribute": (attribute, {}, "the tensor attribute 'body.pos' is used in forward", "'body' (Body)"),
    "slice": (slicing, {}, "indexing or slicing a tensor", "'body' (Body)"),
    "outputs": (two, {}, "the model returns 2 values", "'body' (Body)"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_unsupported_construct_is_one_diagnostic(case):
    forward, modules, message, module = CASES[case]
    body = Body(forward, **modules)
    if case == "attribute":
        body.register_buffer("pos", torch.zeros(1, 4, 8, 8))
    with pytest.raises(ModelImportError) as e:
        archc.import_module(Net(body), torch.randn(2, 3, 8, 8))
    text = e.value.format()
    assert message in text
    assert module in text
    line = line_of(case)
    assert f"{__file__}:{line}:" in text, text
    assert SOURCE[line - 1].strip() in text  # the source line is quoted, with a caret under it
    assert "Traceback" not in text


def test_cli_reports_a_diagnostic_not_a_traceback(tmp_path, monkeypatch, capsys):
    from archc.cli import main

    (tmp_path / "badmodel.py").write_text(
        "import torch\nfrom torch import nn\n\n\nclass M(nn.Module):\n    def forward(self, x):\n"
        "        return torch.exp(x)\n")
    monkeypatch.chdir(tmp_path)
    assert main(["import", "badmodel:M", "--input", "1,3,8,8"]) == 1
    err = capsys.readouterr().err
    assert "badmodel.py:7:9: error: the model (M): exp() has no archc op" in err
    assert "return torch.exp(x)" in err


def test_args_are_json_never_evaluated(tmp_path, monkeypatch, capsys):
    from archc.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["import", "os:getcwd", "--input", "1,3", "--args", "__import__('os').system('true')"]) == 1
    assert "--args is not JSON" in capsys.readouterr().err
