"""Helper for the notebooks: the repository root (so scenarios/ and data/ resolve from experiments/)."""

from pathlib import Path

ROOT = next((p for p in [Path.cwd(), *Path.cwd().parents] if (p / "scenarios" / "baseline.toml").is_file()),
            Path.cwd())
"""The first folder upwards from the working directory that holds scenarios/baseline.toml."""
