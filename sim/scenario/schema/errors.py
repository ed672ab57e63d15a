"""The error of an invalid scenario file or override (:class:`ScenarioError`).
"""

from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario file or override is invalid. The message names the file, the field and what is allowed."""
