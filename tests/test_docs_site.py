"""The documentation site (docs/, Sphinx) builds with warnings as errors, and shows what it promises: every
public API name, every CLI command, the notebooks with their outputs, the parameters' sources.

The notebooks are not executed a second time: the build reads the copies that tests/test_notebooks.py runs
(the session fixture ``executed_notebooks``), through a jupyter-cache that the build's myst-nb looks up.
"""

from __future__ import annotations

import html
import importlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NOTEBOOKS = sorted((ROOT / "experiments").glob("*.ipynb"))

pytest.importorskip("sphinx")
pytest.importorskip("myst_nb")
pytest.importorskip("sphinx_click")
pytest.importorskip("furo")


@pytest.fixture(scope="module")
def site(tmp_path_factory, executed_notebooks) -> Path:
    """The site built from scratch into a temporary folder (``sphinx-build -W -E``), the notebooks' outputs
    from the session's executed copies."""
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    tmp = tmp_path_factory.mktemp("docs_site")
    cache = get_cache(tmp / "jupyter_cache")
    for path in NOTEBOOKS:
        nb = executed_notebooks(path)
        for cell in nb.cells:  # nbclient's timings are not part of the notebook the build reads
            cell.metadata.pop("execution", None)
        cache.cache_notebook_bundle(CacheBundleIn(nb, str(path)), check_validity=False, overwrite=True)
        # the build will find it (it hashes the committed, stripped notebook the same way) and not execute it
        assert cache.match_cache_notebook(nbformat.read(path, as_version=4)), path.name
    out = tmp / "html"
    env = {**os.environ, "AIECO_NB_CACHE": str(tmp / "jupyter_cache"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-b", "html", str(DOCS),
                          str(out)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    print(f"sphinx-build: {time.perf_counter() - t0:.1f} s")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr
    assert "Executing notebook" not in res.stdout, "the build executed a notebook the cache should have had"
    assert res.stdout.count("Using cached notebook") == len(NOTEBOOKS)
    return out


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.slow
def test_site_has_the_user_guide_pages(site):
    for page in ("index", "getting-started", "ODD", "parameters", "scenarios", "experiments-guide",
                 "experiments/README", "sensitivity", "dashboard", "figures", "cli", "references", "cite",
                 "api/index"):
        assert (site / f"{page}.html").is_file(), page
    # the README's quick start and the ODD come through whole
    start = _text((site / "getting-started.html").read_text())
    assert "Quick start" in start and "A short tour" in start and "ten times with independent seeds" in start
    assert "7. Submodels" in _text((site / "ODD.html").read_text())
    # the scenario library and the policy levers are generated: every scenario file and government field
    from sim.scenario import Government

    scenarios = _text((site / "scenarios.html").read_text())
    assert all(p.name in scenarios for p in (ROOT / "scenarios").glob("*.toml"))
    assert all(name in scenarios for name in Government.model_fields)
    # how to cite: the BibTeX entry is CITATION.cff's
    import yaml

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    cite = _text((site / "cite.html").read_text())
    assert "@software {" in cite and cff["title"] in cite and f"version = {{{cff['version']}}}" in cite
    # the site works offline: no page loads a script, stylesheet or image from the network
    for page in site.rglob("*.html"):
        assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', page.read_text()), page
    # figures are copied, not left pointing into the repository
    figures = (site / "figures.html").read_text()
    imgs = re.findall(r'<img [^>]*src="([^"]+)"', figures)
    assert imgs and all((site / src).is_file() for src in imgs)


@pytest.mark.slow
def test_api_reference_documents_every_public_name(site):
    """Every top-level name of ``sim`` and every name of each subpackage's ``__all__`` has an entry (an anchor
    with its qualified name) on the API pages; a name exported twice is documented once and linked."""
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from aieco_docs import API_MODULES, documented_at
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    anchors = set()
    for modname in API_MODULES:
        anchors |= set(re.findall(r'id="([^"]+)"', (site / "api" / f"{modname}.html").read_text()))
    for modname in API_MODULES:
        mod = importlib.import_module(modname)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if isinstance(obj, type(sys)):
                continue
            home = documented_at().get(id(obj), f"{modname}.{name}")
            assert home in anchors, (modname, name, home)
    page = (site / "api" / "sim.html").read_text()
    assert 'id="sim.run_replications"' in page and "base_seed" in page
    assert "Run <code" in page  # the docstring, not just the signature


@pytest.mark.slow
def test_cli_reference_lists_every_command_and_option(site):
    import click

    from sim.cli import main

    text = _text((site / "cli.html").read_text())

    def walk(group, prefix):
        for name, cmd in group.commands.items():
            yield f"{prefix} {name}", cmd
            if isinstance(cmd, click.Group):
                yield from walk(cmd, f"{prefix} {name}")

    for path, cmd in walk(main, "aieco"):
        assert path in text, path
        for p in cmd.params:
            for opt in getattr(p, "opts", []):
                if opt.startswith("--"):
                    assert opt in text, (path, opt)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_tutorial_is_rendered_with_its_outputs(site, path):
    """Each notebook is a page with its code cells' outputs: figures (PNG files the page shows) and text."""
    import nbformat

    page = (site / "experiments" / f"{path.stem}.html").read_text()
    nb = nbformat.read(path, as_version=4)
    cells = re.findall(r'class="cell( [^"]*)? docutils container"', page)
    assert len(cells) == sum(c.cell_type == "code" for c in nb.cells)
    imgs = re.findall(r'<img [^>]*src="([^"]+\.png)"', page)
    assert imgs, "no figure rendered"
    assert all((site / "experiments" / src).resolve().is_file() for src in imgs)
    assert "cell_output" in page


@pytest.mark.slow
def test_references_page_lists_every_parameter_source(site):
    """The bibliography is generated from the schema's ``source`` metadata: each distinct source that is not
    a scenario value appears, with the parameters citing it."""
    from sim.scenario.paramdoc import parameter_table

    def squeeze(s: str) -> str:  # the sources are Markdown: `code` is rendered as code
        return re.sub(r"\s+", "", s.replace("`", ""))

    text = _text((site / "references.html").read_text())
    table = parameter_table()
    for r in table.itertuples(index=False):
        if r.source and not r.source.startswith(("scenario", "default ")):
            assert squeeze(r.source)[:80] in squeeze(text), r.source
            assert r.path in text, r.path
    assert "Epoch AI, 'Data on AI Models'" in text
