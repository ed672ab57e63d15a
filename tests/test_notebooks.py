"""Every notebook in experiments/ runs top to bottom at its small (CI) size; a cell error fails the test."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "experiments").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, executed_notebooks):
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "outputs must be stripped in git"
    tags = [c.metadata.get("tags", []) for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in tags[0], "the first code cell is the parameter cell"
    nb = executed_notebooks(path)  # raises CellExecutionError on any failing cell (conftest.py: run once a session)
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        images = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        # each cell draws at most one figure: two images are the figure shown twice (inline backend + repr)
        assert len(images) <= 1, f"code cell {i} shows {len(images)} images:\n{cell.source}"


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 1
