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


def _lazy_exports(package: str, table: dict[str, str]) -> tuple:
    """(``__getattr__``, ``__dir__``) of ``package`` whose names in ``table`` (name -> module, absolute or relative
    to the package) are imported on first use (PEP 562), so that importing the package stays cheap. Used by
    ``sim``, ``sim.analysis`` and ``sim.plots``."""
    import sys

    def getattr_(name: str):  # noqa: ANN202
        if name in table:
            module = table[name] if table[name].startswith("sim") else f"{package}.{table[name]}"
            value = getattr(_import_module(module), name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def dir_() -> list[str]:
        own = {n for n in vars(sys.modules[package]) if not n.startswith("_")}
        return sorted(own | set(table) | ({"__version__"} if package == "sim" else set()))

    return getattr_, dir_


__getattr__, __dir__ = _lazy_exports(__name__, _LAZY)
