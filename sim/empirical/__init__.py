"""The empirical layer: Epoch AI's data as the model reads it (CC BY 4.0; see ``data/README.md``).

- :mod:`sim.empirical.epoch`: loaders of Epoch's model records, the lab roster, the empirical targets of the
  patterns (P1-P3, P5) and the derived tables in ``data/`` with the command that regenerates each;
- :mod:`sim.empirical.eci`: Epoch's Capabilities Index, its link to training compute and the ECI targets (P6-P8).

Imports nothing of the layers above (model, analysis, plots, dashboard, CLI).
"""

from sim.empirical import eci, epoch
from sim.empirical.eci import EciLink, build_eci_tables, fit_eci_link, load_eci
from sim.empirical.epoch import *  # noqa: F403 - epoch.__all__ is the curated list

__all__ = [*epoch.__all__, "EciLink", "build_eci_tables", "eci", "epoch", "fit_eci_link", "load_eci"]
