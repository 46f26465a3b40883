"""The playground in real headless Chromium (Debian's chromium + chromium-driver, driven by selenium),
against a real `archc serve`: load the page, type a change and see the table update, introduce an
error and see it marked on its line, fix it and see the mark go; explain a layer from the table and
from the diagram; bind the input; save. Expected counts are computed by hand."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = """network small {
  input x: [N, 1, 28, 28]
  conv2d(16, kernel=3, padding=1) -> relu -> maxpool2d(2)
  flatten
  linear(10)
}
"""
# conv 16*1*3*3 + 16 = 160; flatten 16*14*14 = 3136; linear 3136*10 + 10 = 31370
PARAMS_16 = 160 + 31370
PARAMS_8 = (8 * 9 + 8) + (8 * 14 * 14 * 10 + 10)  # conv2d(8, ...): 80 + 15690

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the dev extra)")
pytest.importorskip("uvicorn", reason="uvicorn is not installed (the serve extra)")
from selenium.common.exceptions import TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--no-proxy-server", "--window-size=1500,950"]


def chromium(tmp: Path) -> webdriver.Chrome:
    """Headless Chromium, or a skip naming what is missing."""
    driver_path, binary = shutil.which("chromedriver"), shutil.which("chromium")
    if not driver_path or not binary:
        pytest.skip("Chromium cannot be started: chromium and chromium-driver are not installed "
                    "(apt-get install chromium chromium-driver; run.sh does it as root)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in [*FLAGS, f"--user-data-dir={tmp / 'profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the page's console, to check for errors
    try:
        return webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    except WebDriverException as e:
        pytest.skip(f"Chromium cannot be started: {e.msg}")


@pytest.fixture
def page(tmp_path: Path):
    """The playground on tmp/small.arch (a copy of SPEC), open in Chromium."""
    sys.path.insert(0, str(ROOT / "bench"))
    from serve_load import server

    spec = tmp_path / "small.arch"
    spec.write_text(SPEC)
    driver = chromium(tmp_path)
    try:
        with server(spec, "--workers", "2", "--timeout", "60") as url:
            driver.get(url + "/")
            yield driver
    finally:
        driver.quit()


def wait_for(driver, what: str, condition, seconds: float = 60):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.1).until(lambda d: condition(d))
    except TimeoutException:
        status = driver.find_element(By.ID, "status").text
        pytest.fail(f"the page never showed {what} (status: {status!r})")


def text(driver, element_id: str) -> str:
    return driver.execute_script("return document.getElementById(arguments[0]).innerText;", element_id)


def replace(driver, line: int, old: str, new: str) -> None:
    """Select ``old`` on ``line`` of the editor (CodeMirror) and type ``new`` over it, key by key."""
    ch = driver.execute_script("return playground.cm.getLine(arguments[0]);", line - 1).index(old)
    driver.execute_script("const [cm, l] = [playground.cm, arguments[0]]; cm.focus();"
                          "cm.setSelection({line: l, ch: arguments[1]}, {line: l, ch: arguments[2]});",
                          line - 1, ch, ch + len(old))
    ActionChains(driver).send_keys(new).perform()


def marked_lines(driver) -> list[int]:
    """The lines with an error marker in the gutter (read in one script: the page redraws them on each edit)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('.mark.error')].map((e) => Number(e.dataset.line)).sort();")


def line_mark(driver, line: int) -> tuple[str, str]:
    """The editor's background class of ``line`` and the message shown under it."""
    return tuple(driver.execute_script(
        "const msg = document.querySelector(`.msg[data-line='${arguments[0]}']`);"
        "return [playground.cm.lineInfo(arguments[0] - 1).bgClass || '', msg ? msg.textContent : ''];", line))


def test_type_see_the_table_and_the_marks(page, tmp_path: Path) -> None:
    d = page
    wait_for(d, f"{PARAMS_16:,} parameters", lambda d: text(d, "total-params") == f"{PARAMS_16:,}")
    rows = d.execute_script("return [...document.querySelectorAll('#summary tbody tr')].map((r) => r.dataset.layer);")
    assert rows == ["conv2d_1", "relu_1", "maxpool2d_1", "flatten_1",
                                                             "linear_1"]
    if shutil.which("dot"):
        wait_for(d, "the diagram", lambda d: d.find_elements(By.CSS_SELECTOR, "#diagram svg g.node[data-layer]"))

    replace(d, 3, "16", "8")  # conv2d(8, ...): the table follows
    wait_for(d, f"{PARAMS_8:,} parameters", lambda d: text(d, "total-params") == f"{PARAMS_8:,}")
    first = d.execute_script("return document.querySelector('#summary tr[data-layer=conv2d_1]').innerText;")
    assert "[N, 8, 28, 28]" in first and "80" in first.split()

    replace(d, 3, "padding=1)", "padding=1")  # an error on line 3: marked there, with its message
    wait_for(d, "an error mark on line 3", lambda d: marked_lines(d) == [3])
    kind, shown = line_mark(d, 3)
    assert kind == "line-error" and "unexpected" in shown
    assert "small.arch:3:" in text(d, "diagnostics")

    replace(d, 3, "padding=1", "padding=1)")  # fixed: the mark goes, the table is back
    wait_for(d, "the mark gone", lambda d: marked_lines(d) == [] and text(d, "diagnostics") == "")
    wait_for(d, "the table back", lambda d: text(d, "total-params") == f"{PARAMS_8:,}")

    d.execute_script("document.querySelector('#summary tr[data-layer=linear_1]').click();")  # explain a layer
    # F_out·F_in + F_out with 8·14·14 = 1568 inputs
    wait_for(d, "linear_1's formulas", lambda d: "10·1568 + 10" in text(d, "explain"))
    assert "15,690" in text(d, "explain")
    if shutil.which("dot"):  # a layer clicked in the diagram: conv2d(8, kernel=3) on 1 channel, 8·1·3·3 + 8
        d.execute_script("document.querySelector('#diagram g.node[data-layer=conv2d_1]')"
                         ".dispatchEvent(new MouseEvent('click', {bubbles: true}));")
        wait_for(d, "conv2d_1's formulas", lambda d: "8·1·3·3 + 8" in text(d, "explain"))
    d.save_screenshot(str(tmp_path / "serve.png"))
    assert (tmp_path / "serve.png").stat().st_size > 10_000

    d.find_element(By.ID, "input").send_keys("2,1,28,28")  # the input control binds N
    wait_for(d, "a batch of 2", lambda d: "[2, 8, 28, 28]" in d.execute_script(
        "return document.querySelector('#summary tr[data-layer=conv2d_1]').innerText;"))
    d.find_element(By.ID, "input").send_keys(Keys.BACKSPACE * 2 + "32")  # and a size the spec does not take
    wait_for(d, "the wrong input refused on line 2", lambda d: marked_lines(d) == [2])
    d.find_element(By.ID, "input").clear()

    d.find_element(By.ID, "save").click()  # Save: the edited text over the file, the old one kept beside it
    wait_for(d, "the file saved", lambda d: text(d, "status").startswith("saved"))
    assert (tmp_path / "small.arch").read_text() == SPEC.replace("conv2d(16,", "conv2d(8,")
    assert (tmp_path / "small.arch.bak").read_text() == SPEC
    errors = [e["message"] for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors  # no script error on the way (a fetch answered 4xx would show here too)
