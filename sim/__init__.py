"""aieco: an agent-based model of competition in the AI ecosystem (open-weight vs closed labs,
developers, governments with export controls), with sweeps, sensitivity analysis and figures.

The public API (imported lazily, so ``import sim`` stays cheap)::

    from sim import load_scenario, run_replications, EcosystemModel, load_results

    sc = load_scenario("scenarios/baseline.toml")          # sim.scenario: the validated scenario
    reps = run_replications(sc, replications=10)           # sim.analysis: replications with their own seeds
    model = EcosystemModel(sc, seed=1).run()               # sim.model: one run, month by month
    df = load_results("results/sweeps/export_controls_grid")  # a sweep folder as one tidy DataFrame

The package is layered; each layer imports only the ones before it:
``sim.scenario`` and ``sim.empirical`` < ``sim.model`` < ``sim.analysis`` < ``sim.plots`` < ``sim.dashboard``
< ``sim.cli``.
"""

from importlib import import_module as _import_module
from importlib.metadata import PackageNotFoundError as _NotInstalled
from importlib.metadata import version as _version

try:
    __version__ = _version("aieco")
except _NotInstalled:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

REGIONS: tuple[str, ...] = ("US", "CN", "EU", "ROW")
"""The model's regions, in a fixed order used for every array indexed by region."""

_LAZY = {
    "load_scenario": "sim.scenario",
    "with_horizon": "sim.scenario",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "EcosystemModel": "sim.model",
    "run_replications": "sim.analysis.runs",
    "run_one": "sim.analysis.runs",
    "Replications": "sim.analysis.runs",
    "load_results": "sim.analysis.sweep.store",
}

__all__ = ["REGIONS", "__version__", *_LAZY]


def __getattr__(name: str):  # noqa: ANN202 - PEP 562 lazy attributes
    if name in _LAZY:
        value = getattr(_import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({n for n in globals() if not n.startswith("_")} | set(_LAZY) | {"__version__"})
