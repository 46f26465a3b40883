"""The playground's JSON API (archc serve) through starlette's test client: every endpoint, errors as
JSON with line and column, the limits (size, type, origin, host, time). Counts are the course's
documented ones (MNIST CNN: 29,066 parameters) or computed by hand in the test."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
from starlette.testclient import TestClient

from archc import api
from archc.serve.app import create_app

SPECS = Path(__file__).resolve().parent.parent / "specs"
MNIST = (SPECS / "mnist_cnn.arch").read_text("utf-8")
# 90,000 layers on symbolic sizes, under the node limit: half a minute of CPU and more (linear in the layers)
SLOW = ("network slow {\n  input x: [N, 1, H, W]\n  repeat 45000 {\n"
        "    conv2d(1, kernel=3, stride=2, padding=1) -> conv_transpose2d(1, kernel=4, stride=2, padding=1)\n  }\n}\n")


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "mnist_cnn.arch"
    shutil.copy(SPECS / "mnist_cnn.arch", path)
    return path


@pytest.fixture(scope="module")
def client(spec_file: Path) -> TestClient:
    with TestClient(create_app(spec_file, workers=2, timeout=60, max_bytes=64 * 1024),
                    base_url="http://127.0.0.1:8000") as c:
        yield c


def where(text: str, line_no: int, token: str) -> tuple[int, int]:
    """(line, 1-based column) of ``token`` on line ``line_no`` of ``text``."""
    return line_no, text.splitlines()[line_no - 1].index(token) + 1


def test_page_and_start(client: TestClient, spec_file: Path) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'id="editor"' in page.text
    assert client.get("/static/playground.js").status_code == 200
    start = client.get("/api/start").json()
    assert start["text"] == spec_file.read_text("utf-8")
    assert (start["filename"], start["format"], start["can_save"]) == ("mnist_cnn.arch", "arch", True)


def test_check_ok(client: TestClient) -> None:
    body = client.post("/api/check", json={"spec": MNIST}).json()
    assert body["ok"] and body["diagnostics"] == []
    assert (body["networks"], body["total_params"], body["valid_inputs"]) == (["mnist_cnn"], 29066, "any size")


def test_check_syntax_error_has_line_and_column(client: TestClient) -> None:
    broken = MNIST.replace("padding=1) -> relu", "padding=1 -> relu", 1)
    body = client.post("/api/check", json={"spec": broken}).json()
    assert not body["ok"]
    (d,) = body["diagnostics"]
    assert (d["severity"], d["line"], d["column"]) == ("error", *where(broken, 4, "->"))
    assert d["file"] == "mnist_cnn.arch" and "mnist_cnn.arch:4:" in d["text"]


def test_check_shape_error_names_its_line(client: TestClient) -> None:
    wrong = MNIST.replace("[N, 32, 7, 7]", "[N, 32, 7, 6]")
    d = client.post("/api/check", json={"spec": wrong}).json()["diagnostics"][0]
    assert d["line"] == 5 and "[N, 32, 7, 6]" in d["text"]


def test_check_with_set_input_and_network(client: TestClient) -> None:
    varres = (SPECS / "varres_cnn.arch").read_text("utf-8")
    body = client.post("/api/check", json={"spec": varres, "set": ["C=10"], "input": [1, 1, 32, 32]}).json()
    assert body["ok"], body
    # three 3x3 convs 1->16->32->C=10 with biases, then linear(C, 10): counted by hand
    assert body["total_params"] == (16 * 9 + 16) + (32 * 16 * 9 + 32) + (10 * 32 * 9 + 10) + (10 * 10 + 10)
    bad = client.post("/api/check", json={"spec": MNIST, "network": "nope"}).json()
    assert not bad["ok"] and "nope" in bad["diagnostics"][0]["message"]


def test_summary(client: TestClient) -> None:
    body = client.post("/api/summary", json={"spec": MNIST}).json()
    assert body["total_params"] == 29066 and len(body["layers"]) == 11
    conv = body["layers"][0]
    assert (conv["name"], conv["params"], conv["output_shape"]) == ("conv2d_1", 16 * 1 * 9 + 16, ["N", 16, 28, 28])
    assert body["lines"]["conv2d_1"] == 4 and body["lines"]["linear_1"] == 8


def test_summary_error_is_json_with_line(client: TestClient) -> None:
    broken = MNIST.replace("linear(10)", "linear(10")
    r = client.post("/api/summary", json={"spec": broken})
    e = r.json()["error"]
    assert r.status_code == 422 and (e["line"], e["column"]) == where(broken, 8, ":")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_render_svg(client: TestClient) -> None:
    svg = client.post("/api/render", json={"spec": MNIST}).json()["svg"]
    assert "<svg" in svg and "29,066 parameters" in svg


def test_explain_one_layer(client: TestClient) -> None:
    body = client.post("/api/explain", json={"spec": MNIST, "layer": "conv2d_2"}).json()
    (layer,) = body["layers"]
    results = {f["name"]: f["result"] for f in layer["formulas"]}
    assert results["params"] == 32 * 16 * 9 + 32 and results["H_out"] == 14  # (14 + 2 - 3) / 1 + 1
    assert "conv2d_2" in body["text"]
    assert client.post("/api/explain", json={"spec": MNIST, "layer": "nope"}).status_code == 422


@pytest.mark.parametrize("target", ["arch", "yaml", "torch", "numpy"])
def test_emit(client: TestClient, target: str) -> None:
    body = client.post("/api/emit", json={"spec": MNIST, "target": target}).json()
    suffix = {"arch": ".arch", "yaml": ".yaml", "torch": "_torch.py", "numpy": "_numpy.py"}[target]
    assert body["filename"] == "mnist_cnn" + suffix
    if target in ("arch", "yaml"):  # the download checks to the same network
        assert api.check(api.parse(body["filename"], body["text"])).total_params == 29066
    else:
        compile(body["text"], body["filename"], "exec")  # Python source that parses (not run)
    assert client.post("/api/emit", json={"spec": MNIST, "target": "onnx"}).status_code == 400


def test_save_only_a_spec_that_parses(client: TestClient, spec_file: Path) -> None:
    original = spec_file.read_text("utf-8")
    broken = original.replace("linear(10)", "linear(10")
    r = client.post("/api/save", json={"spec": broken})
    assert r.status_code == 422 and r.json()["error"]["line"] == 8
    assert spec_file.read_text("utf-8") == original and not spec_file.with_name("mnist_cnn.arch.bak").exists()
    edited = original.replace("linear(10)", "linear(10)  # the classifier")
    body = client.post("/api/save", json={"spec": edited}).json()
    assert body["saved"] == str(spec_file.resolve()) and not body["unchanged"]
    assert spec_file.read_text("utf-8") == edited
    assert spec_file.with_name("mnist_cnn.arch.bak").read_text("utf-8") == original
    assert client.post("/api/save", json={"spec": edited}).json()["unchanged"]
    as_yaml = client.post("/api/emit", json={"spec": edited, "target": "yaml"}).json()["text"]
    assert client.post("/api/save", json={"spec": as_yaml, "format": "yaml"}).status_code == 422  # not .arch text
    assert spec_file.read_text("utf-8") == edited
    assert sorted(p.name for p in spec_file.parent.iterdir()) == ["mnist_cnn.arch", "mnist_cnn.arch.bak"]


def test_save_without_a_file_is_refused(tmp_path: Path) -> None:
    with TestClient(create_app(None, workers=1), base_url="http://127.0.0.1") as c:
        assert c.get("/api/start").json()["can_save"] is False
        r = c.post("/api/save", json={"spec": MNIST})
        assert r.status_code == 409 and "Download" in r.json()["error"]["message"]


def test_limits_and_refusals(client: TestClient) -> None:
    big = client.post("/api/check", json={"spec": "#" * (65 * 1024)})
    assert big.status_code == 413 and "65,536" in big.json()["error"]["message"]
    chunked = client.post("/api/check", content=iter([b'{"spec": "', b"#" * 70000, b'"}']),
                          headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413
    assert client.post("/api/check", content=b"{nope", headers={"Content-Type": "application/json"}).status_code == 400
    assert client.post("/api/check", content=b"spec=x", headers={"Content-Type": "text/plain"}).status_code == 415
    assert client.post("/api/check", json=[1, 2]).status_code == 400
    assert client.post("/api/check", json={"spec": 3}).status_code == 400
    assert client.post("/api/check", json={"spec": MNIST, "input": "1,x"}).json()["ok"] is False
    cross = client.post("/api/save", json={"spec": MNIST}, headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403
    assert client.post("/api/check", json={"spec": MNIST}, headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/api/check").status_code == 405


@pytest.fixture
def strict(spec_file: Path) -> TestClient:
    """A server whose requests may take 4 s each (SLOW takes several times that; MNIST a hundredth of it)."""
    with TestClient(create_app(spec_file, workers=2, timeout=4), base_url="http://127.0.0.1") as c:
        for _ in range(2):  # each worker imports what a check needs once
            c.post("/api/check", json={"spec": MNIST})
        yield c


def test_time_limit_kills_the_slow_request_and_not_the_others(strict: TestClient) -> None:
    client, answers = strict, {}
    slow = threading.Thread(target=lambda: answers.update(slow=client.post("/api/check", json={"spec": SLOW})))
    slow.start()
    fast = client.post("/api/check", json={"spec": MNIST})  # the other worker answers meanwhile
    slow.join(60)
    assert fast.status_code == 200 and fast.json()["total_params"] == 29066
    r = answers["slow"]
    assert r.status_code == 504 and "4 s" in r.json()["error"]["message"]
    for _ in range(3):  # the killed worker is replaced: the server goes on answering
        assert client.post("/api/check", json={"spec": MNIST}).json()["ok"]


def test_cli_refuses_a_busy_port_and_a_missing_folder(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    import socket

    from archc.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["serve", "--port", str(busy.getsockname()[1])]) == 1
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err
    assert main(["serve", str(tmp_path / "no" / "such.arch")]) == 1
    assert "not a file in an existing folder" in capsys.readouterr().err
    assert main(["serve", "--workers", "0"]) == 1


def test_a_new_file_starts_from_the_example_and_save_creates_it(tmp_path: Path) -> None:
    new = tmp_path / "mine.arch"
    with TestClient(create_app(new, workers=1), base_url="http://127.0.0.1") as c:
        start = c.get("/api/start").json()
        assert start["new"] and start["can_save"] and "network mnist_cnn" in start["text"]
        assert c.post("/api/save", json={"spec": start["text"]}).json()["backup"] is None
    assert new.read_text("utf-8") == start["text"]


def test_warnings_are_diagnostics_with_their_place(client: TestClient) -> None:
    spec = "network q(H=3) {\n  input x: [N, 1, H, W]\n  conv2d(H, kernel=3)\n}\n"
    body = client.post("/api/check", json={"spec": spec}).json()
    assert body["ok"] and body["total_params"] == 3 * 1 * 9 + 3  # H fixed to 3 channels
    (w,) = body["diagnostics"]
    assert (w["severity"], w["line"], w["column"]) == ("warning", *where(spec, 1, "H=3"))


def test_a_file_of_several_networks(client: TestClient) -> None:
    spec = ("network a {\n  input x: [N, 4]\n  linear(3)\n}\n"
            "network b {\n  input x: [N, 4]\n  linear(5) -> linear(2)\n}\n")
    default = client.post("/api/check", json={"spec": spec}).json()
    assert (default["networks"], default["network"], default["total_params"]) == (["a", "b"], "b", 25 + 12)
    chosen = client.post("/api/summary", json={"spec": spec, "network": "a"}).json()
    assert (chosen["network"], chosen["total_params"], chosen["lines"]) == ("a", 4 * 3 + 3, {"linear_1": 3})


def test_a_yaml_spec_is_read_as_yaml(tmp_path: Path) -> None:
    path = tmp_path / "mnist_cnn.yaml"
    shutil.copy(SPECS / "mnist_cnn.yaml", path)
    with TestClient(create_app(path, workers=1), base_url="http://127.0.0.1") as c:
        start = c.get("/api/start").json()
        assert start["format"] == "yaml"
        body = c.post("/api/check", json={"spec": start["text"], "format": "yaml"}).json()
        assert body["ok"] and body["total_params"] == 29066
        assert c.post("/api/emit", json={"spec": start["text"], "format": "yaml", "target": "arch"}).json()[
            "filename"] == "mnist_cnn.arch"
