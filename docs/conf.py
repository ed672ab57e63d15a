"""Sphinx configuration of aieco's documentation site.

Build it from the repository root with ``sphinx-build -b html docs docs/_build/html`` (``pip install -e
".[docs]"`` first). The site is the repository's Markdown (MyST), the API reference from the public API's
docstrings, the CLI reference from click, and the notebooks of ``experiments/`` (``docs/experiments`` is a
link to that folder) rendered with their outputs.

Notebooks run through myst-nb's cache (jupyter-cache): the first build executes them (a few minutes at their
small default size), later builds reuse the outputs until a code cell changes. ``AIECO_NB_CACHE`` points the
build at another cache; the test suite (tests/test_docs_site.py) fills one with the copies that
tests/test_notebooks.py executed, so that CI runs each notebook once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path[:0] = [str(ROOT), str(DOCS / "_ext")]

import sim  # noqa: E402

project = "aieco"
author = "The aieco developers"
copyright = "The aieco developers, MIT licence"  # noqa: A001
release = version = sim.__version__

extensions = [
    "myst_nb",  # MyST Markdown and notebooks (myst-nb loads myst-parser)
    "sphinx.ext.autodoc",
    "sphinx_click",
    "aieco_docs",  # docs/_ext/aieco_docs.py: the API pages, generated tables and the bibliography
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
smartquotes = False  # options (--resume) and quotes stay as typed
exclude_patterns = ["_build", "screenshots", "**/.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
# the README is read through {include}; parameters.md stays the generated file tests/test_docs.py checks

# MyST: heading anchors so the Markdown files' own links (#data-and-licence) resolve
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist"]

# myst-nb: execute through the cache, stop the build on a failing cell
nb_execution_mode = "cache"
nb_execution_cache_path = os.environ.get("AIECO_NB_CACHE", str(DOCS / "_build" / ".jupyter_cache"))
nb_execution_timeout = 900
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# autodoc: only what the API pages name (the public API), signatures with their annotations
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_class_signature = "mixed"  # the signature on the class line; no __init__ entry (a base class docstring)
autodoc_default_options = {"exclude-members": "model_config,model_fields,model_computed_fields,model_post_init"}

html_theme = "furo"
html_title = f"aieco {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
# nothing is fetched at build time: no intersphinx, no remote images
