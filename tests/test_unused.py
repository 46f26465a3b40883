"""The warning for a layer whose value is never used: `archc check` prints it at the layer, and the
network still checks (exit 0); a value read by a later layer or named as an output is not warned of."""

from __future__ import annotations

from archc import api
from archc.cli import main

DEAD = """network a {
  input x: [N, 4, 8, 8]
  conv2d(4, kernel=1) as c0 -> relu
  c0 -> conv2d(4, kernel=1) as side
  c0 -> relu as r
  output r
}
"""


def test_check_warns_of_each_dropped_value(tmp_path, capsys):
    spec = tmp_path / "dead.arch"
    spec.write_text(DEAD)
    assert main(["check", str(spec)]) == 0
    err = capsys.readouterr().err
    assert f"{spec}:3:32: warning: the value of 'relu_1' (relu) is never used" in err
    assert f"{spec}:4:9: warning: the value of 'side' (conv2d) is never used" in err
    assert err.count("warning:") == 2


def test_values_read_or_output_are_not_warned_of():
    used = DEAD.replace("  output r\n", "  output r, side\n").replace("as c0 -> relu\n", "as c0\n")
    assert [w.message for w in api.warnings(used)] == []
