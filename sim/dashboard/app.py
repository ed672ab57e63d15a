"""The dashboard's page (Solara): run a scenario with levers, compare it with its start, watch one run,
open results folders, export. ``aieco dashboard`` serves it; ``solara run sim.dashboard.app`` does too.

Configuration comes from the environment the CLI sets: ``AIECO_DASHBOARD_PATHS`` (scenario files and
results folders given on the command line, separated by ``os.pathsep``), ``AIECO_DASHBOARD_OUT`` (where
exports go, default ``results/dashboard``) and ``AIECO_DASHBOARD_WORKERS`` (worker processes).

State lives in module-level ``solara.reactive`` values, which Solara keeps per browser tab.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import solara
import solara.lab

from sim.analysis.compare import comparison_of
from sim.dashboard import jobs, session
from sim.dashboard.browse import ResultsView
from sim.dashboard.levers import (
    Lever,
    check_value,
    get_value,
    later_events,
    parse_text,
    policy_levers,
    uncertain_levers,
)
from sim.dashboard.views import TABLE_CSS, comparison_figures, metric_table_html
from sim.dashboard.watch import WatchView
from sim.scenario.schema import Scenario, ScenarioError, load_scenario

# ------------------------------------------------------------------ configuration


def given_paths() -> list[Path]:
    """The scenario files and results folders named on the command line."""
    raw = os.environ.get("AIECO_DASHBOARD_PATHS", "")
    return [Path(p) for p in raw.split(os.pathsep) if p]


def scenario_files() -> list[Path]:
    """Scenario files to pick from: those given on the command line, then ``scenarios/*.toml`` of the
    current folder (or of the source tree when the current folder has none)."""
    lib = Path.cwd() / "scenarios"
    if not lib.is_dir():
        lib = Path(__file__).resolve().parents[2] / "scenarios"
    given = [p.resolve() for p in given_paths() if p.is_file()]
    return given + [p.resolve() for p in sorted(lib.glob("*.toml")) if p.resolve() not in given]


def out_root() -> Path:
    """Folder under which exports are written."""
    return Path(os.environ.get("AIECO_DASHBOARD_OUT", "results/dashboard"))


def _label(p: Path) -> str:
    """A scenario file as the chooser shows it: its label (the scenario's ``label``, if any) and the file."""
    try:
        shown = str(p.relative_to(Path.cwd()))
    except ValueError:
        shown = str(p)
    label = _scenario_label(str(p), p.stat().st_mtime if p.is_file() else 0.0)
    return f"{label} ({shown})" if label else shown


@functools.lru_cache(maxsize=256)
def _scenario_label(path: str, _mtime: float) -> str:
    """The ``label`` of the scenario in ``path`` ("" when it has none or does not load; cached per file version)."""
    try:
        return load_scenario(path).label
    except (ScenarioError, OSError):
        return ""


POLICY = policy_levers()
UNCERTAIN = uncertain_levers()

# ------------------------------------------------------------------ per-tab state

start_file = solara.reactive("")
edits: solara.Reactive[dict[str, Any]] = solara.reactive({})
months = solara.reactive(0)  # 0: the scenario's own horizon
replications = solara.reactive(3)
seed = solara.reactive(-1)  # -1: the scenario's own seed
keep_events = solara.reactive(True)
run_name = solara.reactive("")
progress = solara.reactive((0, 0))
outcome: solara.Reactive[session.Outcome | None] = solara.reactive(None)
message = solara.reactive("")
exported = solara.reactive("")
current_job: solara.Reactive[jobs.Job | None] = solara.reactive(None)


def start_path() -> str:
    """The chosen start scenario file (default: the first given on the command line, else the baseline;
    "" when there is none)."""
    if start_file.value:
        return start_file.value
    files = scenario_files()
    given = [p for p in given_paths() if p.is_file()]
    default = given[0] if given else next((p for p in files if p.name == "baseline.toml"), files[0] if files else None)
    return str(default) if default else ""


def load_start(path: str) -> Scenario:
    """The start scenario. Raises ScenarioError."""
    return load_scenario(path)


def start_run(start_path: Path, start: Scenario, edited: Scenario, r: int, keep: bool) -> None:
    """Submit the replications that are not cached yet and follow them in a thread (progress, cancel)."""
    reference = session.reference_for(start, edited, keep)
    todo = {lab: sc for lab, sc in (("reference", reference), ("edited", edited)) if session.run_key(sc, r) not in session.CACHE}
    if "reference" in todo and "edited" in todo and session.run_key(reference, r) == session.run_key(edited, r):
        del todo["edited"]
    job = jobs.Job(todo, r, edited.seed) if todo else None
    current_job.set(job)
    outcome.set(None)
    message.set("")
    follow(job, start_path, start, reference, edited, r, time.perf_counter())


@solara.lab.task(prefer_threaded=True)
def follow(job, start_path, start, reference, edited, r, t0) -> None:
    """Poll the job, update the progress bar, and store the outcome (or the error) when it is done."""
    if job is not None:
        while not job.finished():
            progress.set((job.done, job.total))
            time.sleep(0.1)
        progress.set((job.done, job.total))
        if job.cancelled:
            message.set(f"cancelled after {job.done} of {job.total} replications")
            current_job.set(None)
            return
        try:
            fresh = job.result()
        except Exception as e:  # a replication failed in its worker: show it, keep the page alive
            message.set(f"the run failed: {type(e).__name__}: {e}")
            current_job.set(None)
            return
        for lab, reps in fresh.items():
            session.remember(session.run_key(reference if lab == "reference" else edited, r), reps)
    else:
        fresh = {}
    same = session.run_key(reference, r) == session.run_key(edited, r)

    def find(lab: str, sc: Scenario) -> Any:  # this job's runs first: the cache may have dropped them
        if lab in fresh:
            return fresh[lab]
        if same and "reference" in fresh:
            return fresh["reference"]
        return session.CACHE[session.run_key(sc, r)]

    ref = replace(find("reference", reference), scenario=reference)
    ed = replace(find("edited", edited), scenario=edited)
    if same:  # nothing changed: the run alone
        comp = comparison_of([ed], [edited.name], time.perf_counter() - t0)
    else:
        names = [reference.name, edited.name if edited.name != reference.name else f"{edited.name} (changed)"]
        comp = comparison_of([ref, ed], names, time.perf_counter() - t0)
    current_job.set(None)
    outcome.set(session.Outcome(start_path, start, edited, comp, {"reference": ref, "edited": ed},
                        time.perf_counter() - t0))


# ------------------------------------------------------------------ components


def _css_name(path: str) -> str:
    return "lever-" + path.replace(".", "--")


@solara.component
def LeverInput(lever: Lever, start: Scenario):
    """One widget for one schema field; a bad value is shown with the schema's message and not used."""
    current = edits.value.get(lever.path, get_value(start, lever.path))
    text, set_text = solara.use_state("" if current is None else f"{current:g}" if isinstance(current, float)
                                      else str(current), key=f"{lever.path}:{start_file.value}")
    err, set_err = solara.use_state("", key=f"err:{lever.path}:{start_file.value}")
    events = later_events(start, lever.path)
    hint = "; ".join(x for x in (lever.range_text, lever.help) if x)
    if events:
        hint += f" Dated events of the scenario change it later ({', '.join(events)})."

    def set_value(value: Any) -> None:
        problem = check_value(start, lever.path, value)
        set_err(problem or "")
        if problem:
            return
        new = dict(edits.value)
        if value == get_value(start, lever.path):
            new.pop(lever.path, None)
        else:
            new[lever.path] = value
        edits.set(new)

    def on_text(t: str | None) -> None:
        t = t or ""
        set_text(t)
        try:
            set_value(parse_text(lever, t))
        except ValueError as e:
            set_err(str(e))

    cls = [_css_name(lever.path)]
    with solara.Tooltip(hint):
        with solara.Div(classes=cls):
            if lever.kind == "bool":
                solara.Checkbox(label=lever.label, value=bool(current), on_value=set_value)
            elif lever.kind == "regions":
                from sim import REGIONS

                parts = lever.path.split(".")  # governments.US.api_block: other regions only
                own = parts[1] if parts[0] == "governments" and len(parts) > 2 else None
                solara.SelectMultiple(lever.label, list(current or []), [r for r in REGIONS if r != own],
                                      on_value=set_value, dense=True)
            else:
                solara.InputText(lever.label, value=text, on_value=on_text, error=bool(err),
                                 message=err or lever.range_text or None)


@solara.component
def LeverPanel(title: str, levers: list[Lever], start: Scenario):
    groups: dict[str, list[Lever]] = {}
    for lv in levers:
        groups.setdefault(lv.group, []).append(lv)
    solara.Markdown(f"**{title}**")
    for group, items in groups.items():
        LeverGroup(group, items, start)


@solara.component
def LeverGroup(group: str, items: list[Lever], start: Scenario):
    """A collapsible panel of levers; its widgets exist only while it is open (a light first page)."""
    is_open, set_open = solara.use_state(False)
    changed = sum(1 for lv in items if lv.path in edits.value)
    with solara.v.ExpansionPanels(v_model=0 if is_open else None, on_v_model=lambda v: set_open(v == 0)):
        with solara.v.ExpansionPanel():
            solara.v.ExpansionPanelHeader(children=[group + (f" ({changed} changed)" if changed else "")])
            with solara.v.ExpansionPanelContent():
                if is_open:
                    for lv in items:
                        LeverInput(lv, start)


@solara.component
def Controls(start: Scenario | None, start_error: str):
    files = scenario_files()
    labels = [_label(p) for p in files]

    def pick(label: str) -> None:
        start_file.set(str(files[labels.index(label)]))
        edits.set({})
        outcome.set(None)

    with solara.Card("Scenario", margin=0):
        solara.Select("start from", labels, _label(Path(start_path())), on_value=pick)
        if start_error:
            solara.Error(start_error)
            return
        if start is None:
            solara.Error("no scenario files found (scenarios/*.toml); give one on the command line")
            return
        with solara.Row():
            solara.InputInt(f"months (scenario: {start.months})", value=months.value or start.months,
                            on_value=lambda v: months.set(int(v or 0)), classes=["months"], dense=True)
            solara.InputInt("replications", value=replications, classes=["replications"], dense=True)
            solara.InputInt("seed", value=seed.value if seed.value >= 0 else start.seed,
                            on_value=lambda v: seed.set(int(v) if v is not None else -1), classes=["seed"],
                            dense=True)
        solara.Checkbox(label=f"keep the scenario's {len(start.events)} dated policy events",
                        value=keep_events)
        solara.InputText("name of the changed scenario", value=run_name.value or f"{start.name}_changed",
                         on_value=run_name.set, classes=["run-name"], dense=True)
    with solara.Card(margin=0):
        LeverPanel("Policy levers (from the start month)", POLICY, start)
        LeverPanel("Uncertain parameters", UNCERTAIN, start)


@solara.component
def RunButtons(start: Scenario | None, edited: Scenario | None, build_error: str):
    job = current_job.value
    running = job is not None or follow.pending
    r = max(1, int(replications.value or 1))

    def go() -> None:
        if start is None or edited is None:
            return
        try:
            start_run(Path(start_path()), start, edited, r, keep_events.value)
        except Exception as e:  # e.g. a bad roster: say so, keep the page
            message.set(f"{type(e).__name__}: {e}")

    def cancel() -> None:
        if current_job.value is not None:
            current_job.value.cancel()

    with solara.Row():
        solara.Button("Run", on_click=go, color="primary", disabled=running or edited is None,
                      classes=["run-button"])
        solara.Button("Cancel", on_click=cancel, disabled=not running, classes=["cancel-button"])
    if build_error:
        solara.Error(build_error)
    done, total = progress.value
    if running:
        solara.ProgressLinear(100 * done / total if total else True)
        solara.Text(f"{done}/{total} replications", classes=["progress-text"])
    if message.value:
        solara.Warning(message.value, classes=["run-message"])


@solara.component
def Results():
    o = outcome.value
    figs = solara.lab.use_task(lambda: comparison_figures(o.comparison, jobs.worker_pool()) if o else {},
                               dependencies=[id(o)])
    if o is None:
        solara.Info("Set levers, then Run: the changed scenario runs beside its start with the same seeds.")
        return
    comp = o.comparison
    what = (f"**{comp.names[1]}** against **{comp.names[0]}**" if len(comp.names) > 1
            else f"**{comp.names[0]}** (no lever changed)")
    solara.Markdown(f"{what}: {len(comp.seeds)} replications of {o.edited.months} months, {o.seconds:.1f} s.")
    solara.Style(TABLE_CSS)
    solara.HTML(unsafe_innerHTML=metric_table_html(comp), classes=["metric-table"])
    ExportBox(o)
    if figs.pending or figs.not_called:
        solara.ProgressLinear(True)
        solara.Text("drawing the figures ...")
    elif figs.error:
        solara.Error(f"the figures failed: {figs.exception}")
    else:
        for title, data in (figs.value or {}).items():
            solara.Markdown(f"*{title}*")
            solara.Image(data, width="min(100%, 1000px)")


@solara.component
def ExportBox(o: session.Outcome):
    folder = solara.use_reactive(str(out_root() / o.edited.name))

    def do_export() -> None:
        try:
            paths = session.export(o, Path(folder.value))
        except (OSError, ValueError) as e:
            exported.set(f"export failed: {e}")
            return
        exported.set("wrote " + ", ".join(str(p) for p in paths))

    with solara.Card("Export", margin=0):
        solara.InputText("folder", value=folder, classes=["export-folder"])
        solara.Button("Export scenario and results", on_click=do_export, classes=["export-button"])
        if exported.value:
            solara.Success(exported.value, classes=["export-message"], dense=True)


@solara.component
def Page():
    solara.Title("aieco")  # the browser tab's title (Solara's default is "Solara")
    start, start_error = None, ""
    if start_path():
        try:
            start = load_start(start_path())
        except ScenarioError as e:
            start_error = str(e)
    edited, build_error = None, ""
    if start is not None:
        try:
            edited = session.build_scenario(start, edits.value, months.value, seed.value, keep_events.value,
                                    run_name.value)
        except ScenarioError as e:
            build_error = str(e)
    solara.Title("aieco dashboard")
    with solara.AppBar():
        solara.AppBarTitle("aieco dashboard")
    with solara.lab.Tabs(lazy=True):
        with solara.lab.Tab("Run and compare"):
            with solara.Columns([1, 2]):
                with solara.Column():
                    RunButtons(start, edited, build_error)
                    Controls(start, start_error)
                with solara.Column():
                    Results()
        with solara.lab.Tab("Watch a run"):
            if edited is not None:
                WatchView(edited)
            else:
                solara.Error(start_error or build_error)
        with solara.lab.Tab("Open results"):
            ResultsView([p for p in given_paths() if p.is_dir()])

