"""Make docs/serve.png and docs/serve_error.png: the playground on specs/mnist_cnn.arch (a copy) in
headless Chromium, with the formulas of conv2d_2 shown; then with `padding=0` typed into the first
convolution, which breaks the expectation written on its line.

    python bench/serve_screenshot.py [FOLDER]     (default docs/; needs chromium and chromium-driver)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from serve_load import ROOT, server

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--no-proxy-server", "--window-size=1600,1000", "--hide-scrollbars"]


def text(driver: webdriver.Chrome, element_id: str) -> str:
    """An element's text, read in one script (the page redraws its elements as results come)."""
    return driver.execute_script("return document.getElementById(arguments[0]).innerText;", element_id)


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "mnist_cnn.arch"
        shutil.copy(ROOT / "specs" / "mnist_cnn.arch", spec)
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "chromium"
        for flag in [*FLAGS, f"--user-data-dir={tmp}/profile"]:
            options.add_argument(flag)
        service = webdriver.ChromeService(executable_path=shutil.which("chromedriver") or "chromedriver")
        driver = webdriver.Chrome(options=options, service=service)  # the paths given: nothing is downloaded
        try:
            with server(spec) as url:
                driver.get(url + "/")
                wait = WebDriverWait(driver, 60, poll_frequency=0.1)
                wait.until(lambda d: text(d, "total-params") == "29,066")
                driver.execute_script("document.querySelector('#summary tr[data-layer=conv2d_2]').click();")
                wait.until(lambda d: "conv2d_2" in text(d, "explain"))
                time.sleep(0.5)  # let the diagram image paint
                driver.save_screenshot(str(out / "serve.png"))
                ch = driver.execute_script("return playground.cm.getLine(3);").index("padding=1") + len("padding=")
                driver.execute_script("const cm = playground.cm; cm.focus(); const c = arguments[0];"
                                      "cm.setSelection({line: 3, ch: c}, {line: 3, ch: c + 1});", ch)
                ActionChains(driver).send_keys("0").perform()
                wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".mark.error"))
                time.sleep(0.3)
                driver.save_screenshot(str(out / "serve_error.png"))
        finally:
            driver.quit()
    print(f"wrote {out / 'serve.png'} and {out / 'serve_error.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
