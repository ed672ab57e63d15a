"""Provenance for every output folder: package versions, git commit, command, and JSON writing."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

PACKAGES = ("aieco", "mesa", "numpy", "scipy", "pandas", "pyarrow", "matplotlib", "SALib", "pydantic", "dask")


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Versions of Python and of the packages results depend on (:data:`PACKAGES`, and ``extra`` ones)."""
    out = {"python": platform.python_version()}
    for p in (*PACKAGES, *extra):
        try:
            out[p] = version(p)
        except PackageNotFoundError:
            out[p] = "not installed"
    return out


def git_commit() -> dict[str, Any]:
    """The git commit of the source tree the package runs from: {"commit", "dirty"} or {"commit": None}."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                                    capture_output=True, text=True, timeout=5).stdout.strip())
        return {"commit": commit, "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


COMMAND: list[str] | None = None
"""The command line of the current CLI invocation (set by the ``aieco`` entry point); None from Python."""


def current_command() -> str:
    """The command that produced the results: the ``aieco`` invocation, or the Python program's argv."""
    if COMMAND is not None:
        return shlex.join(["aieco", *COMMAND])
    return shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]])


def base_manifest(kind: str) -> dict[str, Any]:
    """Fields every manifest has: kind of results, aieco version, versions, git, command, time, host."""
    from sim import __version__

    return {"kind": kind, "aieco_version": __version__, "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": current_command(), "versions": package_versions(),
            "git": git_commit(), "platform": platform.platform()}


def _default(o: Any) -> Any:
    if isinstance(o, np.integer | np.floating):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _umask() -> int:
    """The process's file-creation mask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` atomically: ``write(tmp)`` fills a temporary file in the same folder, which is then
    renamed into place, so that a crash leaves the file complete or absent. The file gets the mode an
    ordinary new file gets (0666 less the umask: 0644 under the usual 022), not mkstemp's 0600. On failure
    (a full disk: OSError) the temporary file is removed and the error raised."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json_atomic(path: str | Path, data: Any) -> None:
    """Write JSON to ``path`` atomically (see :func:`write_atomic`)."""
    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, default=_default, allow_nan=True)
            f.write("\n")

    write_atomic(path, write)


def read_manifest_file(folder: str | Path, error: type[Exception], what: str) -> dict[str, Any]:
    """``folder/manifest.json`` as a dict. Raises ``error`` (naming the file) when it is missing (the message
    says the folder is not ``what``, e.g. "a sweep results folder"), unreadable, not JSON, or JSON that is not
    an object (``[1, 2, 3]``)."""
    f = Path(folder) / "manifest.json"
    if not f.is_file():
        raise error(f"{folder}: not {what} (no manifest.json)")
    try:
        m = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise error(f"{f}: unreadable manifest: {e}") from None
    if not isinstance(m, dict):
        raise error(f"{f}: not a results manifest (a JSON object with 'kind', ...), but a JSON {type(m).__name__}")
    return m


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file (used to tie figures to the manifest they came from)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
