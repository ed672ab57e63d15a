"""The errors of an experiment spec (:class:`SpecError`, :class:`SpecWarning`) and the wording their messages
share."""

from __future__ import annotations


class SpecError(ValueError):
    """An experiment spec is invalid. The message names the spec file, the field and what is allowed."""


class SpecWarning(UserWarning):
    """A note on how a valid spec was read (e.g. dated events dropped by a shorter horizon); also kept in
    :attr:`SweepSpec.notes`."""


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """``"1 replication"``, ``"2 replications"``."""
    return f"{n} {noun}" if n == 1 else f"{n} {nouns or noun + 's'}"
