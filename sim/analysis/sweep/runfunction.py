"""A spec's run function: the default, the modules renamed by the layout change, importing it by name and
the outputs it declares.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from sim.analysis.sweep.errors import SpecError

DEFAULT_RUN_FUNCTION = "sim.analysis.runs:run_one"


MOVED_MODULES = {"sim.runs": "sim.analysis.runs", "sim.testfunctions": "sim.analysis.testfunctions"}
"""Modules a spec's ``run_function`` may still name from before the layout change (aieco 0.1, issue 24) -> where
they are now: a spec naming the old module gets the new one, with a note."""


def current_run_function(ref: str) -> str:
    """``ref`` ("module:function") with a module moved by the layout change replaced by its new name."""
    mod, sep, attr = ref.partition(":")
    return f"{MOVED_MODULES[mod]}{sep}{attr}" if mod in MOVED_MODULES else ref


def stable_run_function(ref: str) -> str:
    """The name a run function had before the layout change (inverse of :func:`current_run_function`): what a sweep
    folder's fingerprint hashes, so that folders written before the move still resume."""
    mod, sep, attr = ref.partition(":")
    old = {new: old for old, new in MOVED_MODULES.items()}
    return f"{old[mod]}{sep}{attr}" if mod in old else ref


def declared_outputs(fn: Callable) -> dict[str, tuple[str, str]]:
    """The outputs a run function declares as ``fn.outputs = {name: (unit, description)}`` (the test
    functions of :mod:`sim.analysis.testfunctions` do); empty for the model's own run function, whose outputs are
    :data:`sim.model.metrics.SUMMARY_METRICS`. Raises SpecError when the attribute is malformed."""
    outs = getattr(fn, "outputs", None) or {}
    try:
        return {str(k): (str(v[0]), str(v[1])) for k, v in dict(outs).items()}
    except (TypeError, ValueError, IndexError):
        raise SpecError(f"{fn.__module__}.{fn.__name__}.outputs must be {{name: (unit, description)}}") from None


def resolve_function(ref: str) -> Callable:
    """Import ``"package.module:function"``. Raises ImportError/AttributeError/ValueError when it cannot."""
    mod, sep, attr = ref.partition(":")
    if not sep or not mod or not attr:
        raise ValueError(f"{ref!r} is not of the form 'package.module:function'")
    fn = getattr(importlib.import_module(mod), attr)
    if not callable(fn):
        raise ValueError(f"{ref!r} is not callable")
    return fn


def _import_hint(ref: str, err: Exception, spec_dir: Path) -> str:
    """A hint for a run function whose module cannot be found: it must be importable by the driver and the
    workers."""
    mod = ref.partition(":")[0]
    missing = getattr(err, "name", None)
    if not isinstance(err, ModuleNotFoundError) or not missing or not (mod == missing or mod.startswith(missing + ".")):
        return ""
    rel = Path(*mod.split("."))
    where = ""
    if not ((Path.cwd() / f"{rel}.py").is_file() or (Path.cwd() / rel).is_dir()) and (
            (spec_dir / f"{rel}.py").is_file() or (spec_dir / rel).is_dir()):
        try:
            folder = spec_dir.relative_to(Path.cwd())
        except ValueError:
            folder = spec_dir
        where = f" ({rel} is next to the spec: PYTHONPATH={folder})"
    return (f". The module must be importable by the driver and the workers: an installed package, or a file "
            f"on the Python path (a file in the current folder needs PYTHONPATH=., e.g. `PYTHONPATH=. aieco sweep "
            f"...`){where}")
