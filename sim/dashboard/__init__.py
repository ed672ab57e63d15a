"""``aieco dashboard``: explore scenarios in the browser (Solara, as Mesa's own visualisation).

Layer: beside the plots, below the CLI. It imports the scenario schema, the runners, the comparison and
the figures, never the CLI; nothing but ``sim.cli.dashboard`` imports it. Solara and the other front-end
packages come with the ``dashboard`` extra and are imported only by :mod:`~sim.dashboard.app`,
:mod:`~sim.dashboard.watch`, :mod:`~sim.dashboard.browse` and :mod:`~sim.dashboard.server`.

Modules, one concept each:

- :mod:`~sim.dashboard.levers` -- the widgets, derived from the schema's metadata (no parameter named);
- :mod:`~sim.dashboard.export` -- the scenario set in the page as a TOML file that extends the start;
- :mod:`~sim.dashboard.jobs` -- replications in worker processes, with progress and cancel;
- :mod:`~sim.dashboard.views` -- the metric table and the figures, as HTML and PNG bytes;
- :mod:`~sim.dashboard.app`, :mod:`~sim.dashboard.watch`, :mod:`~sim.dashboard.browse` -- the page;
- :mod:`~sim.dashboard.server` -- serving it offline; :mod:`~sim.dashboard.browser` -- driving it in an
  offline Chromium (tests, benchmarks).
"""

__all__ = ["serve"]


def serve(*args, **kwargs):  # noqa: ANN002, ANN003, ANN201 - documented in sim.dashboard.server.serve
    """Serve the dashboard (:func:`sim.dashboard.server.serve`; needs the ``dashboard`` extra)."""
    from sim.dashboard.server import serve as _serve

    return _serve(*args, **kwargs)
