"""Safe output folders: one lock for every writer, and finished results that appear whole or not at all.

Every command that writes results holds :func:`folder_lock` on its output folder while it writes (a lock file
beside the folder, ``.<name>.lock``, taken with the ``filelock`` package: released by the operating system when
the process dies, on every platform). A second writer is refused at once with :class:`FolderBusy`.

Commands that write a finished result in one go (``aieco run``, ``compare``, ``validate``, ``discover``,
``figures``, the dashboard's exports) write it with :func:`finished_folder`: into a hidden staging folder beside
the target (``.<name>.partial-<random>``), renamed into place only when complete. An interrupted command
(Ctrl-C, SIGTERM, a full disk) leaves the target as it was; a staging folder left by a killed one is removed by
the next writer. Streaming commands (``sweep``, ``sensitivity``, ``calibrate``) write their parts in place and
say in their manifest whether they are complete; they take the same lock.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

PARTIAL = ".partial-"
"""Part of a staging folder's name: ``.<target name>.partial-<random>``, beside the target."""

_STAGED: dict[Path, Path] = {}
"""Staging folder -> its target, while :func:`finished_folder` is open (for :func:`published_path`)."""


class FolderError(ValueError):
    """An output folder cannot be written as asked; the message names the folder and what to do."""


class FolderBusy(FolderError):
    """Another process is writing to the output folder right now."""


def lock_path(target: str | Path, inside: bool = False) -> Path:
    """The lock file of output folder ``target``: ``.<name>.lock`` beside it (a finished folder is renamed into
    place and carries no lock with it), or with ``inside`` (a streaming folder, written in place) ``.lock`` in it."""
    target = Path(target).absolute()
    return target / ".lock" if inside else target.parent / f".{target.name}.lock"


@contextmanager
def folder_lock(target: str | Path, inside: bool = False) -> Iterator[Path]:
    """Hold the writer's lock of output folder ``target`` (:func:`lock_path`; its folder is created) while the
    body runs. A lock file beside the folder is removed after release (best effort), so that results folders
    are not littered with them.

    Raises FolderBusy at once when another process holds it: two commands never write one folder."""
    lock_file = lock_path(target, inside)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_file, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise FolderBusy(f"{target}: another aieco command is writing to this folder right now (it holds "
                         f"{lock_file}); wait until it has finished, or choose another --out") from None
    try:
        yield lock_file
    finally:
        lock.release()
        if not inside:
            lock_file.unlink(missing_ok=True)


def lock_held(target: str | Path, inside: bool = False) -> bool:
    """Whether a process holds the writer's lock of ``target`` now (False when no lock file exists)."""
    lock_file = lock_path(target, inside)
    if not lock_file.exists():
        return False
    lock = FileLock(lock_file, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return True
    lock.release()
    return False


def published_path(path: str | Path) -> Path:
    """``path`` as it will be once published: a path inside an open staging folder of :func:`finished_folder`
    mapped into its target (figure sidecars and manifests record where results live, not where they were
    staged); any other path unchanged."""
    path = Path(path)
    for staging, target in list(_STAGED.items()):  # a copy: the dashboard exports from several threads
        try:
            return target / path.absolute().relative_to(staging)
        except ValueError:
            continue
    return path


def _other_kind(manifest: Path, kinds: tuple[str, ...] | None) -> str | None:
    """The ``kind`` of results ``manifest`` records when it is not one of ``kinds`` (None: any kind will do, or
    it is one of them)."""
    if not kinds:
        return None
    import json

    try:
        kind = json.loads(manifest.read_text(encoding="utf-8")).get("kind")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        kind = None
    return None if kind in kinds else str(kind)


def check_target(target: Path, overwrite: bool, marker: str = "manifest.json",
                 replaceable: Callable[[Path], bool] | None = None, kinds: tuple[str, ...] | None = None) -> None:
    """Raise FolderError when ``target`` holds results (``marker``) and ``overwrite`` is off, or results of
    another kind than ``kinds`` (the ``kind`` of its manifest), is a file, is the current folder or one that
    holds it, or holds files but no ``marker`` (not results: never replaced)."""
    if target.exists() and not target.is_dir():
        raise FolderError(f"{target}: a file, not a folder; choose another --out")
    if not target.is_dir():
        return
    if Path.cwd().resolve().is_relative_to(target.resolve()):
        raise FolderError(f"{target}: the current folder (or one that holds it) cannot be replaced by results; "
                          "choose another --out")
    if (target / marker).exists():
        other = _other_kind(target / marker, kinds)
        if other is not None:
            raise FolderError(f"{target} holds the results of another command (kind {other!r}, not "
                              f"{' or '.join(map(repr, kinds))}); they are not replaced: choose another --out")
        if overwrite:
            return
        raise FolderError(f"{target} already holds results ({marker}); choose another --out or add --overwrite")
    entries = [p for p in target.iterdir() if not _kept(p)]
    if entries and replaceable is not None and all(replaceable(p) for p in entries):
        if overwrite:
            return
        raise FolderError(f"{target} already holds results; choose another --out or add --overwrite")
    if entries:
        raise FolderError(f"{target}: holds files but no {marker}: not a results folder, so it is not replaced "
                          "(even with --overwrite); choose another --out, or empty it")


@contextmanager
def finished_folder(target: str | Path, overwrite: bool = False, marker: str = "manifest.json",
                    replaceable: Callable[[Path], bool] | None = None,
                    kinds: tuple[str, ...] | None = None, merge: bool = False) -> Iterator[Path]:
    """Write a finished result to folder ``target`` safely: yields a staging folder beside it to write into;
    when the body completes, the staging folder replaces ``target`` in one rename (a previous ``target`` is
    removed only then: with ``overwrite``, or when it was empty). When the body raises (including Ctrl-C,
    SIGTERM turned into KeyboardInterrupt, SystemExit), the staging folder is removed and ``target`` is left
    as it was.

    Holds :func:`folder_lock` throughout. Raises FolderBusy when another writer holds it, FolderError when
    ``target`` holds results and ``overwrite`` is off (:func:`check_target`; ``replaceable`` tells the entries of
    a folder without ``marker`` that are results too; ``kinds`` the results kinds it may replace).

    With ``merge`` (a folder that collects files from several commands, e.g. figures drawn at two widths), the
    staged files are moved into an existing ``target`` when complete, each replacing the file of its name; the
    target's other files stay."""
    target = Path(target)
    with folder_lock(target):
        if merge and target.exists() and not target.is_dir():
            raise FolderError(f"{target}: a file, not a folder; choose another --out")
        if not merge:
            check_target(target, overwrite, marker, replaceable, kinds)
        for stale in target.absolute().parent.glob(f".{target.name}{PARTIAL}*"):  # left by a killed writer
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}{PARTIAL}", dir=target.absolute().parent))
        _STAGED[staging] = target
        try:
            yield staging
            if merge and target.is_dir():
                _merge(staging, target.absolute())
            else:
                _publish(staging, target.absolute())
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            _STAGED.pop(staging, None)


def _merge(staging: Path, target: Path) -> None:
    """Move the files of ``staging`` into the existing folder ``target`` (each replacing the file of its name
    in one rename; the target's other files stay), then remove ``staging``."""
    for f in sorted(p for p in staging.rglob("*") if p.is_file()):
        dest = target / f.relative_to(staging)
        dest.parent.mkdir(parents=True, exist_ok=True)
        f.replace(dest)
    shutil.rmtree(staging, ignore_errors=True)


def _kept(entry: Path) -> bool:
    """Whether ``entry`` of a folder being replaced is kept: the results of another command nested in it (a
    folder with its own manifest.json, e.g. ``results/baseline/validation``). Anything else that is not the
    results' own (a ``.git``, notes) makes the folder one that is never replaced (:func:`check_target`)."""
    return entry.is_dir() and (entry / "manifest.json").is_file()


def _publish(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``; an existing ``target`` is first renamed aside and removed after, its
    nested results of other commands (:func:`_kept`) moved into the new folder first."""
    staging.chmod(0o777 & ~_umask())  # mkdtemp's 0700 -> an ordinary folder's mode
    old, moved = None, []
    try:
        if target.exists():
            for entry in target.iterdir():
                if _kept(entry) and not (staging / entry.name).exists():
                    entry.rename(staging / entry.name)
                    moved.append(entry.name)
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            old.rmdir()
            target.rename(old)
        staging.rename(target)
    except BaseException:  # put everything back as it was
        if old is not None and not target.exists():
            old.rename(target)
        for name in moved:
            (staging / name).rename(target / name)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    from sim.analysis.provenance import _umask as umask

    return umask()
