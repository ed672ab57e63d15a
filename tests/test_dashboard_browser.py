"""The dashboard in a real Chromium (issue 18), offline: Debian's chromium and chromium-driver, installed by
``.ci/run``; every host but 127.0.0.1 unresolvable and proxies dead, for the browser and the server.

Screenshots are saved in ``tests/artifacts/dashboard/`` (or ``$AIECO_TEST_ARTIFACTS``) to look at.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from conftest import ARCHETYPES, BASELINE, ROOT, TINY_SET

from sim.analysis.runs import OUTPUT_TABLES
from sim.dashboard.browser import (
    chromium,
    chromium_paths,
    click_text,
    outside_requests,
    requested_urls,
    serve,
    type_into,
    wait_css,
    wait_text,
)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(chromium_paths() is None, reason="needs chromium and chromium-driver (apt-get)")]

ARTIFACTS = Path(os.environ.get("AIECO_TEST_ARTIFACTS", ROOT / "tests" / "artifacts" / "dashboard"))
LEVER = "governments.US.export_control.CN"


def shot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    p = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(p))
    return p


@pytest.fixture()
def browser():
    d = chromium()
    yield d
    d.quit()


def small_start(tmp: Path) -> Path:
    """A quick start scenario: no US export controls, archetype roster, 500 developers."""
    p = tmp / "start.toml"
    p.write_text(textwrap.dedent(f"""\
        extends = "{ROOT / 'scenarios' / 'no_export_controls.toml'}"
        name = "start"
        roster = "{ARCHETYPES}"
        [developers]
        n = 500
        payoff_sample = 200
        """))
    return p


def test_lever_run_export_and_watch(tmp_path, browser):
    """US export control on China 0 -> 1 lowers China's compute share (3 replications, 24 months); the
    exported scenario, run by `aieco run` with the same seeds, gives the dashboard's tables exactly."""
    start = small_start(tmp_path)
    with serve([start], cwd=tmp_path, log=tmp_path / "server.log") as url:
        browser.get(url)
        wait_css(browser, ".run-button", clickable=True)
        assert browser.title == "aieco"
        assert "Warning" not in (tmp_path / "server.log").read_text()  # no cookie warning on the first load
        shot(browser, "01_first_paint")
        type_into(browser, ".months", "24")
        type_into(browser, ".replications", "3")
        click_text(browser, "US government")
        type_into(browser, f".lever-{LEVER.replace('.', '--')}", "1.5")  # out of range: shown, not used
        wait_text(browser, f".lever-{LEVER.replace('.', '--')} .v-messages__message", "less than or equal to 1")
        type_into(browser, f".lever-{LEVER.replace('.', '--')}", "1")
        type_into(browser, ".run-name", "controls_on")
        wait_css(browser, ".run-button", clickable=True).click()
        cell = wait_css(browser, "tr[data-metric='compute_share_CN'] td.diff", timeout=180)
        diff = float(cell.get_attribute("data-diff"))
        assert diff < 0, f"China's compute share should fall with full US controls, moved {diff}"
        wait_css(browser, ".metric-table + * img, img", timeout=60)
        shot(browser, "02_compared")

        type_into(browser, ".export-folder", str(tmp_path / "export"))
        wait_css(browser, ".export-button", clickable=True).click()
        wait_text(browser, ".export-message", "wrote")
        shot(browser, "03_exported")

        click_text(browser, "Watch a run")
        for _ in range(2):
            click_text(browser, "Step")
        wait_text(browser, ".watch-month", "month 2 of 24")
        shot(browser, "04_watch")
        leaks = outside_requests(requested_urls(browser))
        assert not leaks, f"requests left the machine: {leaks[:5]}"

    toml = tmp_path / "export" / "controls_on.toml"
    text = toml.read_text()
    assert "extends" in text and "[governments.US.export_control]" in text and "CN = 1.0" in text
    rerun = tmp_path / "rerun"
    subprocess.run([sys.executable, "-c", "from sim.cli import main; main()", "run", str(toml), "--replications",
                    "3", "--out", str(rerun), "--no-figures"], check=True, cwd=tmp_path, capture_output=True)
    for name in OUTPUT_TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(rerun / f"{name}.parquet"),
                                      pd.read_parquet(tmp_path / "export" / "run" / f"{name}.parquet"))


def test_open_sweep_folder(tmp_path, browser):
    """A sweep folder given on the command line opens on the 'Open results' tab: heatmap and slices, and
    the factor pickers redraw them."""
    spec = tmp_path / "grid.toml"
    spec.write_text(f'base = "{BASELINE}"\nname = "tiny_grid"\n' + textwrap.dedent(f"""\
        replications = 1
        design = "grid"
        [[factors]]
        name = "control"
        path = "{LEVER}"
        levels = [0.0, 1.0]
        [[factors]]
        name = "leakage"
        path = "governments.US.leakage"
        levels = [0.1, 0.5]
        """) + TINY_SET)
    out = tmp_path / "sweep"
    subprocess.run([sys.executable, "-c", "from sim.cli import main; main()", "sweep", str(spec), "--out", str(out),
                    "--workers", "1"], check=True, cwd=tmp_path, capture_output=True)
    with serve([out], cwd=tmp_path, log=tmp_path / "server.log") as url:
        browser.get(url)
        click_text(browser, "Open results")
        wait_text(browser, ".results-kind", "sweep results")
        first = wait_css(browser, ".sweep-fig_heatmap", timeout=120).get_attribute("src")
        wait_css(browser, ".sweep-fig_slices", timeout=60)
        shot(browser, "05_sweep")
        wait_css(browser, ".sweep-metric", clickable=True).click()
        click_text(browser, "noncn_on_cn_open")
        browser.implicitly_wait(1)
        import time

        t0 = time.monotonic()
        while wait_css(browser, ".sweep-fig_heatmap").get_attribute("src") == first:
            assert time.monotonic() - t0 < 60, "the heatmap was not redrawn for the new metric"
            time.sleep(0.3)
        shot(browser, "06_sweep_metric")
        assert not outside_requests(requested_urls(browser))
