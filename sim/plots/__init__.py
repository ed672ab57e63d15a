"""Figures: one style (:mod:`~sim.plots.style`) and plain functions from results tables to matplotlib Figures.

- :mod:`~sim.plots.catalogue`: every figure aieco draws, and :func:`draw_figures` for a results folder of any kind;
- :mod:`~sim.plots.run` and :mod:`~sim.plots.fan`: a run's figures (the headline fan chart);
- :mod:`~sim.plots.compare`, :mod:`~sim.plots.sweep`, :mod:`~sim.plots.sensitivity`, :mod:`~sim.plots.discovery`,
  :mod:`~sim.plots.validation`, :mod:`~sim.plots.posterior`: the figures of each analysis.

Imports the layers below (scenario, empirical, model, analysis), never the dashboard or the CLI. Names are
loaded lazily, so ``import sim.plots`` does not import matplotlib.
"""

from sim import _lazy_exports

_LAZY = {
    "draw_figures": "catalogue", "draw_run_figures": "run", "fig_fan": "fan",
    "draw_validation_figures": "validation", "draw_sensitivity_figures": "sensitivity", "save": "style",
    "figure": "style",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = _lazy_exports(__name__, _LAZY)
