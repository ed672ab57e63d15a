"""Watching one replication month by month, with Mesa's own play/pause/step/reset controller (the one
``SolaraViz`` uses) driving an :class:`~sim.model.ecosystem.EcosystemModel` in the server process."""

from __future__ import annotations

import warnings

import solara

with warnings.catch_warnings():  # Solara's hook check flags Mesa's ComponentsView, which is not used here
    warnings.filterwarnings("ignore", message=".*ComponentsView.*")
    from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from sim.analysis.runs import seed_for
from sim.dashboard.views import fig_month, png
from sim.model.ecosystem import EcosystemModel
from sim.scenario.schema import Scenario


class WatchedModel(EcosystemModel):
    """An EcosystemModel that stops (``running = False``) at its horizon, as Mesa's controllers expect."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        super().__init__(scenario, seed=seed)
        self.running = self.steps < self.months

    def step(self) -> None:
        super().step()
        self.running = self.steps < self.months


@solara.component
def MonthView(model: WatchedModel):
    """The model's last simulated month (re-drawn after every step)."""
    update_counter.get()
    if model.steps == 0:
        solara.Info("Press Step or ▶ to simulate the first month.")
        return
    ts, labs = model.timeseries(), model.lab_panel()
    m = int(ts["month"].max())
    solara.Text(f"{ts['date'].iloc[-1]}: month {m + 1} of {model.months}", classes=["watch-month"])
    solara.Image(png(fig_month(ts, labs, m, model.scenario.name)), width="100%")


@solara.component
def WatchView(scenario: Scenario):
    """Controls and the month view of replication ``r`` of ``scenario`` (seed ``seed_for(seed, r)``, as in
    a run)."""
    rep = solara.use_reactive(0)
    seed = seed_for(scenario.seed, int(rep.value or 0))
    params = solara.use_reactive({"scenario": scenario, "seed": seed})
    model = solara.use_reactive(None)
    key = (scenario.model_dump_json(), seed)
    last = solara.use_ref(None)
    if last.current != key:  # a new scenario or replication: a fresh model
        last.current = key
        params.value = {"scenario": scenario, "seed": seed}
        model.value = WatchedModel(scenario, seed)
    interval = solara.use_reactive(400)
    render = solara.use_reactive(1)
    threads = solara.use_reactive(False)
    with solara.Columns([1, 3]):
        with solara.Column():
            solara.Markdown(f"**{scenario.name}**, the scenario set on the first tab (levers included).")
            solara.InputInt("replication", value=rep, classes=["watch-replication"])
            solara.SliderInt("play interval (ms)", value=interval, min=50, max=1500, step=50)
            solara.SliderInt("months per step", value=render, min=1, max=12)
            ModelController(model, model_parameters=params, play_interval=interval, render_interval=render,
                            use_threads=threads)
        with solara.Column():
            MonthView(model.value)
