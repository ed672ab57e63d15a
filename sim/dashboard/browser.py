"""Driving the dashboard in a real, offline Chromium: the tools the browser tests and
``benchmarks/bench_dashboard.py`` share.

:func:`serve` starts ``aieco dashboard`` in a subprocess on a free port, with proxies pointing nowhere so
that the server cannot reach outside the machine; :func:`chromium` opens Debian's ``chromium`` through
Selenium and ``chromium-driver`` with every host name but 127.0.0.1 unresolvable and a dead proxy, and
records the requests the page makes (:func:`outside_requests` lists any that left the machine).
Selenium is only needed here (the ``test`` extra installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DEAD_PROXY = "http://127.0.0.1:9"
"""A proxy address nothing listens on: any request sent through it fails."""

BLOCKING_FLAGS = ("--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1", f"--proxy-server={DEAD_PROXY}")
"""Chromium flags that stop every request to another machine (loopback bypasses the proxy)."""


def chromium_paths() -> tuple[str, str] | None:
    """(chromium, chromedriver) found on PATH, or None when either is missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def offline_env() -> dict[str, str]:
    """The current environment with every proxy variable pointing at :data:`DEAD_PROXY` (loopback
    excepted), so that nothing the server does can reach another machine."""
    env = dict(os.environ)
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env[k] = DEAD_PROXY
    env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


@contextmanager
def serve(args: Sequence[str] = (), cwd: str | Path | None = None, timeout: float = 60.0,
          log: str | Path | None = None) -> Iterator[str]:
    """Run ``aieco dashboard ARGS --port <free> --no-open`` offline; yields its URL once it answers.

    The server is stopped (SIGTERM, then SIGKILL) on exit. Raises RuntimeError when it does not answer
    within ``timeout`` seconds (its log is in the message)."""
    from sim.dashboard.server import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-c", "from sim.cli import main; main()", "dashboard", *map(str, args), "--port", str(port),
                             "--no-open"], cwd=cwd, env=offline_env(), stdout=out, stderr=subprocess.STDOUT)
    try:
        t0 = time.monotonic()
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"aieco dashboard exited with {proc.returncode}"
                                   + (f"; log: {Path(log).read_text()[-2000:]}" if log else ""))
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if time.monotonic() - t0 > timeout:
                    raise RuntimeError(f"aieco dashboard did not answer at {url} within {timeout:.0f} s") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()


def chromium(width: int = 1400, height: int = 1000) -> Any:
    """A headless Chromium (Selenium WebDriver) that cannot reach other machines and logs its requests.

    Raises RuntimeError when chromium or chromedriver is not installed."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = chromium_paths()
    if found is None:
        raise RuntimeError("chromium and chromium-driver are needed (Debian: apt-get install chromium "
                           "chromium-driver)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = found[0]
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}",
              *BLOCKING_FLAGS):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service(found[1]), options=opts)


def requested_urls(driver: Any) -> list[str]:
    """URLs the page requested since the last call (from Chromium's performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
        elif msg["method"] == "Network.webSocketCreated":
            urls.append(msg["params"]["url"])
    return urls


def outside_requests(urls: Sequence[str]) -> list[str]:
    """The URLs that would leave the machine (anything but 127.0.0.1, localhost, data: and blob:)."""
    local = ("http://127.0.0.1", "ws://127.0.0.1", "http://localhost", "ws://localhost", "data:", "blob:",
             "about:")
    return [u for u in urls if not u.startswith(local)]


def wait_css(driver: Any, css: str, timeout: float = 60.0, clickable: bool = False) -> Any:
    """The first element matching ``css`` once it is present (or clickable). Raises TimeoutException."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    cond = ec.element_to_be_clickable if clickable else ec.presence_of_element_located
    return WebDriverWait(driver, timeout).until(cond((By.CSS_SELECTOR, css)))


def wait_text(driver: Any, css: str, contains: str, timeout: float = 60.0) -> Any:
    """The first element matching ``css`` once its text contains ``contains``. Raises TimeoutException."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), contains))
    return driver.find_element(By.CSS_SELECTOR, css)


def type_into(driver: Any, css: str, text: str) -> None:
    """Replace the text of the input inside the element ``css`` and press Enter (Solara takes the value
    on Enter or when the field loses focus)."""
    from selenium.webdriver.common.keys import Keys

    el = wait_css(driver, f"{css} input", clickable=True)
    el.send_keys(Keys.CONTROL, "a")
    el.send_keys(text)
    time.sleep(0.5)  # the field's text reaches the server before the Enter that makes Solara read it
    el.send_keys(Keys.ENTER)
    time.sleep(0.3)


def click_text(driver: Any, text: str, timeout: float = 30.0) -> None:
    """Click the first visible element whose own text is ``text`` (a tab, a panel header, a button)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    xp = f"//*[normalize-space(text())={json.dumps(text)}]"
    WebDriverWait(driver, timeout).until(ec.element_to_be_clickable((By.XPATH, xp))).click()
