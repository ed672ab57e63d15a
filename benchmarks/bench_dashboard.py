"""Speed of the dashboard (issue 18): first paint of the page, and what the dashboard adds to the model's own
time when it runs 20 replications of the baseline and shows the result.

Run:  python benchmarks/bench_dashboard.py [--replications 20] [--workers 1 2] [--loads 3]
Needs the dashboard and test extras and Debian's chromium + chromium-driver (as `.ci/run` installs them).
Offline: the server's proxies and the browser's name resolution point nowhere (sim.dashboard.browser).

1. Model time: ``run_replications(baseline, R)`` in this process (after import, serial), measured again
   before each dashboard (the load of other work on the machine drifts).
2. For each worker count, a fresh ``aieco dashboard --workers N`` and a headless Chromium:
   first paint = from ``driver.get`` to the Run button being clickable (the app drawn and connected), for
   the first load after the server starts and for later loads (median); the browser's own
   first-contentful-paint is printed beside it. Then Run (baseline, no change, R replications) and the
   time from the click to the metric table, and to every figure on the page (drawn in the worker
   processes after the table is shown). Overhead = that time minus the
   model time; with one worker the runs are serial, as in step 1, so the difference is the dashboard's own
   cost (process hand-off, stacking, figures, page update).
Timings are wall-clock on whatever machine runs it; other work on the machine inflates them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def model_seconds(replications: int) -> float:
    from sim import run_replications
    from sim.scenario import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "baseline.toml")
    run_replications(sc, 1)  # warm: imports, roster cache
    t0 = time.perf_counter()
    run_replications(sc, replications)
    return time.perf_counter() - t0


def cpu_breakdown(replications: int) -> dict[str, float]:
    """CPU seconds (``time.process_time``, which the load of other work on the machine barely changes) of
    the model's runs and of each step the dashboard adds before the table and the figures are shown:
    sending the runs back from the worker processes (pickle both ways), stacking them, the comparison and
    the metric table, and the figures (drawn in the worker processes, in parallel, after the table)."""
    import pickle

    from sim.analysis.compare import comparison_of
    from sim.analysis.runs import run_one, seed_for, stack_replications
    from sim.dashboard.views import _draw, figure_plan, metric_table_html
    from sim.model import load_roster
    from sim.scenario import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "baseline.toml")
    roster = load_roster(sc.roster_path())
    clock = time.process_time
    t0 = clock()
    runs = [run_one(sc, seed_for(sc.seed, r), roster) for r in range(replications)]
    t1 = clock()
    back = [pickle.loads(pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL)) for r in runs]
    sent = [pickle.dumps((sc, seed_for(sc.seed, r), roster)) for r in range(replications)]
    t2 = clock()
    reps = stack_replications(sc, back, 0.0)
    comp = comparison_of([reps], [sc.name], 0.0)
    metric_table_html(comp)
    t3 = clock()
    for args in figure_plan(comp).values():
        _draw(*args)
    t4 = clock()
    assert len(sent) == replications
    return {"model_cpu_s": t1 - t0, "transfer_cpu_s": t2 - t1, "stack_and_table_cpu_s": t3 - t2,
            "figures_cpu_s": t4 - t3}


def page_ready(driver, url: str) -> tuple[float, float]:
    """(seconds from get to the Run button clickable, the browser's first-contentful-paint in seconds)."""
    from sim.dashboard.browser import wait_css

    driver.get("about:blank")
    t0 = time.perf_counter()
    driver.get(url)
    wait_css(driver, ".run-button", timeout=120, clickable=True)
    ready = time.perf_counter() - t0
    fcp = driver.execute_script(
        "const e = performance.getEntriesByName('first-contentful-paint'); return e.length ? e[0].startTime : null")
    return ready, (fcp or float("nan")) / 1000


def run_and_show(driver, replications: int) -> tuple[float, float]:
    """Seconds from clicking Run (baseline, R replications) to the metric table shown, and to every figure
    shown as well."""
    from selenium.webdriver.common.by import By

    from sim.dashboard.browser import type_into, wait_css

    type_into(driver, ".replications", str(replications))
    button = wait_css(driver, ".run-button", clickable=True)
    t0 = time.perf_counter()
    button.click()
    wait_css(driver, "tr[data-metric='compute_share_CN']", timeout=600)
    table = time.perf_counter() - t0
    loaded = "return arguments[0].complete && arguments[0].naturalWidth > 0"
    while True:
        imgs = driver.find_elements(By.CSS_SELECTOR, "img")
        if imgs and "drawing the figures" not in driver.page_source and \
                all(driver.execute_script(loaded, i) for i in imgs):
            return table, time.perf_counter() - t0
        time.sleep(0.02)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--loads", type=int, default=3, help="page loads after the first (median reported)")
    ap.add_argument("--results", type=Path, default=None, help="also write the numbers as JSON here")
    args = ap.parse_args()
    from sim.dashboard.browser import chromium, outside_requests, requested_urls, serve

    cpu = cpu_breakdown(args.replications)
    print(f"CPU seconds, {args.replications} baseline replications: model {cpu['model_cpu_s']:.2f}; the dashboard "
          f"adds {cpu['transfer_cpu_s']:.2f} (runs to and from the workers) + {cpu['stack_and_table_cpu_s']:.2f} "
          f"(stacking, comparison, table) before the table, and {cpu['figures_cpu_s']:.2f} for the figures")
    out = {"replications": args.replications, "cpu": {k: round(v, 3) for k, v in cpu.items()}, "dashboard": []}
    for workers in args.workers:
        model = model_seconds(args.replications)  # measured again before each dashboard, under the same load
        load = os.getloadavg()[0]
        print(f"model: {args.replications} baseline replications, serial, in-process: {model:.2f} s "
              f"(load average {load:.1f})")
        driver = chromium()
        try:
            with tempfile.TemporaryDirectory() as tmp, serve(["--workers", str(workers)], cwd=ROOT,
                                                             log=Path(tmp) / "server.log") as url:
                first = page_ready(driver, url)
                later = [page_ready(driver, url) for _ in range(args.loads)]
                table, shown = run_and_show(driver, args.replications)
                leaks = outside_requests(requested_urls(driver))
        finally:
            driver.quit()
        row = {"workers": workers, "model_seconds": round(model, 3), "load_average": round(load, 2),
               "first_load_ready_s": round(first[0], 3), "first_load_fcp_s": round(first[1], 3),
               "later_loads_ready_s": round(statistics.median(r for r, _ in later), 3),
               "later_loads_fcp_s": round(statistics.median(f for _, f in later), 3),
               "run_to_table_s": round(table, 3), "run_to_figures_s": round(shown, 3),
               "overhead_table_s": round(table - model, 3), "overhead_figures_s": round(shown - model, 3),
               "outside_requests": len(leaks)}
        out["dashboard"].append(row)
        print(f"workers {workers}: page ready {row['first_load_ready_s']:.2f} s on the first load "
              f"(first contentful paint {row['first_load_fcp_s']:.2f} s), {row['later_loads_ready_s']:.2f} s later "
              f"(fcp {row['later_loads_fcp_s']:.2f} s); run {args.replications} replications: table after "
              f"{table:.2f} s (model {model:.2f} s {table - model:+.2f} s), figures after {shown:.2f} s "
              f"({shown - model:+.2f} s); "
              f"requests leaving the machine: {len(leaks)}")
    if args.results:
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps(out, indent=2) + "\n")
    sys.exit(0)


if __name__ == "__main__":
    main()
