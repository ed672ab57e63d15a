"""aieco: an agent-based model of competition in the AI ecosystem (open-weight vs closed labs,
developers, governments with export controls), with sweeps, sensitivity analysis and figures."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aieco")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

REGIONS: tuple[str, ...] = ("US", "CN", "EU", "ROW")
"""The model's regions, in a fixed order used for every array indexed by region."""

__all__ = ["REGIONS", "__version__", "load_results"]


def load_results(path, **options):  # noqa: ANN001, ANN201 - thin lazy wrapper, documented in sim.sweep.store
    """Load a sweep results folder as one tidy DataFrame (see :func:`sim.sweep.store.load_results`; options
    such as ``include_timing=True`` are passed on)."""
    from sim.sweep.store import load_results as _load

    return _load(path, **options)
