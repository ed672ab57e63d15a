"""Test functions with known sensitivity indices, behind the same interface as the model.

The Ishigami function and Sobol's G-function are *run functions* (``run_function = "sim.analysis.testfunctions:ishigami"``
in an experiment spec): they take ``(scenario, seed, roster)`` and return an object with a ``summary`` dict,
like :func:`sim.analysis.runs.run_one`. They therefore go through the whole sweep pipeline unchanged -- spec
validation, the Saltelli/Morris design, the per-point scenario overrides, the worker, the executors and the
Parquet store -- and then through :mod:`sim.analysis.sensitivity`, so that a correct answer on them is evidence for
that whole code path, not for a separate shortcut.

How inputs arrive. A sweep factor must set a field of the scenario schema, so each test-function input is
carried by a fixed scenario field, its *carrier* (:data:`CARRIERS`: input ``i`` is read from
``CARRIERS[i]``). Every carrier is a float whose valid range contains [0, 1]; a spec samples each carrier
uniformly on [0, 1] and the function maps that unit value onto its own domain (Ishigami: [-pi, pi]). Sobol'
indices are invariant under such monotone one-to-one maps of an input, so the analytic indices apply.
The model never runs: the carriers' meaning in the model is irrelevant here.

How outputs are named. A run function may declare ``outputs`` (``{name: (unit, description)}``);
:func:`sim.analysis.sweep.load_spec` accepts those names in the spec's ``metrics`` (and records them all when the
spec lists none), so ``aieco sweep`` and ``aieco sensitivity`` both run a test-function spec.

Analytic indices: :func:`ishigami_indices` (Ishigami & Homma 1990; Sobol' & Levitan 1999) and
:func:`gfunction_indices` (Saltelli & Sobol' 1995; Saltelli et al. 2010, "Variance based sensitivity analysis
of model output", Comput. Phys. Commun. 181, 259-270).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

CARRIERS = ("labs.follower_open_value", "developers.token_price_elasticity", "developers.review_rate", "labs.spill_coef",
            "labs.open_bias_scale", "labs.api_distill_efficiency", "labs.funding_kappa", "developers.w_net",
            "developers.w_sov_mean", "developers.w_cap_mean")
"""Scenario fields that carry test-function inputs, in input order (each a float valid on [0, 1] at least)."""

ISHIGAMI_A = 7.0
ISHIGAMI_B = 0.1
G_A = (0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0)
"""Coefficients of the G-function (Saltelli et al. 2010, Table 2 / the classic 8-input case): x1 is the most
important input, x5..x8 are nearly inert."""


@dataclass
class FunctionResult:
    """What a test function returns: the summary dict (outputs by name) and, for specs that keep time
    series, a one-row table of the same values (month 0)."""

    seed: int
    summary: dict[str, float]
    _ts: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def timeseries(self) -> pd.DataFrame:
        if self._ts is None:
            self._ts = pd.DataFrame([{"month": 0, **self.summary}])
        return self._ts


def carrier_values(scenario: Any, n: int) -> np.ndarray:
    """The unit values of the first ``n`` carriers in ``scenario`` (raises ValueError outside [0, 1])."""
    if n > len(CARRIERS):
        raise ValueError(f"at most {len(CARRIERS)} inputs can be carried, got {n}")
    out = np.empty(n)
    for i, path in enumerate(CARRIERS[:n]):
        obj = scenario
        for part in path.split("."):
            obj = getattr(obj, part)
        out[i] = float(obj)
    if np.any((out < 0) | (out > 1)):
        raise ValueError(f"test-function inputs must lie in [0, 1]; got {dict(zip(CARRIERS[:n], out, strict=True))}")
    return out


# ---------------------------------------------------------------------------------------------
# The functions on arrays (vectorised: rows are points)
# ---------------------------------------------------------------------------------------------

def ishigami_values(u: np.ndarray, a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> np.ndarray:
    """Ishigami function of unit inputs ``u`` (shape (n, 3)), each mapped to [-pi, pi]:
    ``sin(x1) + a sin(x2)^2 + b x3^4 sin(x1)``."""
    x = -math.pi + 2 * math.pi * np.atleast_2d(u)
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def gfunction_values(u: np.ndarray, a: tuple[float, ...] = G_A) -> np.ndarray:
    """Sobol' G-function of unit inputs ``u`` (shape (n, k)): ``prod_i (|4 u_i - 2| + a_i) / (1 + a_i)``."""
    u = np.atleast_2d(u)
    aa = np.asarray(a[:u.shape[1]], dtype=float)
    return np.prod((np.abs(4 * u - 2) + aa) / (1 + aa), axis=1)


# ---------------------------------------------------------------------------------------------
# Run functions (the model interface)
# ---------------------------------------------------------------------------------------------

def ishigami(scenario: Any, seed: int, roster: Any = None) -> FunctionResult:
    """Run function: the Ishigami function (a=7, b=0.1) of the first 3 carriers."""
    y = float(ishigami_values(carrier_values(scenario, 3))[0])
    return FunctionResult(seed, {"ishigami": y})


ishigami.inputs = CARRIERS[:3]
ishigami.outputs = {"ishigami": ("1", "Ishigami function (a=7, b=0.1) of x1..x3 on [-pi, pi]")}


NOISE_SD = 1.0
"""Standard deviation of the noise of :func:`noisy_ishigami` (Ishigami's variance is about 13.84, so the noise
is about 7% of the total)."""


def noisy_ishigami(scenario: Any, seed: int, roster: Any = None) -> FunctionResult:
    """Run function: Ishigami plus Gaussian noise of sd :data:`NOISE_SD` drawn from ``seed``, a stochastic
    model with known indices: with independent seeds per run, Jansen's ST of input i estimates
    (V_Ti + sigma^2) / (V + sigma^2), inflated by the noise; with seeds shared within each Saltelli block
    (``seeds = "block"``) the noise cancels in f(A) - f(AB_i) and ST estimates V_Ti / (V + sigma^2), and S1
    estimates V_i / (V + sigma^2) either way (:func:`noisy_ishigami_indices`)."""
    y = float(ishigami_values(carrier_values(scenario, 3))[0])
    return FunctionResult(seed, {"noisy_ishigami": y + NOISE_SD * float(np.random.default_rng(seed).standard_normal())})


noisy_ishigami.inputs = CARRIERS[:3]
noisy_ishigami.outputs = {"noisy_ishigami": ("1", f"Ishigami (a=7, b=0.1) plus N(0, {NOISE_SD}^2) noise from the seed")}


def noisy_ishigami_indices(seeds: str = "block") -> pd.DataFrame:
    """What the Sobol' estimators converge to for :func:`noisy_ishigami`: columns parameter, S1, ST, as shares
    of the total variance V + sigma^2, under ``seeds`` ``"block"`` (noise cancels in ST) or
    ``"independent"`` (every ST carries sigma^2 more)."""
    ana = ishigami_indices()
    pi, a, b = math.pi, ISHIGAMI_A, ISHIGAMI_B
    v = 0.5 * (1 + b * pi ** 4 / 5) ** 2 + a ** 2 / 8 + b ** 2 * pi ** 8 * (1 / 18 - 1 / 50)
    tot = v + NOISE_SD ** 2
    extra = 0.0 if seeds == "block" else NOISE_SD ** 2
    return pd.DataFrame({"parameter": ana["parameter"], "S1": ana["S1"] * v / tot,
                         "ST": (ana["ST"] * v + extra) / tot})


def gfunction(scenario: Any, seed: int, roster: Any = None) -> FunctionResult:
    """Run function: Sobol's G-function with coefficients :data:`G_A` of the first 8 carriers."""
    y = float(gfunction_values(carrier_values(scenario, len(G_A)))[0])
    return FunctionResult(seed, {"gfunction": y})


gfunction.inputs = CARRIERS[:len(G_A)]
gfunction.outputs = {"gfunction": ("1", f"Sobol' G-function of x1..x{len(G_A)} on [0, 1], a = {list(G_A)}")}


BOX = {"x1": (0.7, 1.0), "x2": (0.0, 0.3)}
"""The box of :func:`box`: the cases of interest are exactly x1 > 0.7 and x2 < 0.3; x3 and x4 are inert."""


def box(scenario: Any, seed: int, roster: Any = None) -> FunctionResult:
    """Run function for scenario discovery with a known answer: ``in_box`` is 1 when the first carrier
    (x1) is above 0.7 and the second (x2) below 0.3 (:data:`BOX`), else 0, whatever x3 and x4 (carriers 3
    and 4); ``x1_minus_x2`` is a smooth output of the same inputs. Noise-free."""
    u = carrier_values(scenario, 4)
    inside = u[0] > BOX["x1"][0] and u[1] < BOX["x2"][1]
    return FunctionResult(seed, {"in_box": float(inside), "x1_minus_x2": float(u[0] - u[1])})


box.inputs = CARRIERS[:4]
box.outputs = {"in_box": ("1", "1 when x1 > 0.7 and x2 < 0.3, else 0 (x3, x4 inert)"),
               "x1_minus_x2": ("1", "x1 - x2")}


# ---------------------------------------------------------------------------------------------
# Analytic indices
# ---------------------------------------------------------------------------------------------

def ishigami_indices(a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> pd.DataFrame:
    """Analytic first-order and total indices of the Ishigami function for x_i ~ U(-pi, pi).

    Returns columns parameter (x1, x2, x3), S1, ST. For a=7, b=0.1: S1 = 0.314, 0.442, 0; ST = 0.558, 0.442,
    0.244."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return pd.DataFrame({"parameter": ["x1", "x2", "x3"], "S1": [v1 / v, v2 / v, 0.0],
                         "ST": [(v1 + v13) / v, v2 / v, v13 / v]})


def gfunction_indices(a: tuple[float, ...] = G_A) -> pd.DataFrame:
    """Analytic first-order and total indices of the G-function for x_i ~ U(0, 1):
    ``V_i = 1 / (3 (1 + a_i)^2)``, ``V = prod(1 + V_i) - 1``, ``S1_i = V_i / V``,
    ``ST_i = V_i prod_{j != i}(1 + V_j) / V``. Returns columns parameter (x1..xk), S1, ST."""
    vi = 1.0 / (3.0 * (1.0 + np.asarray(a, dtype=float)) ** 2)
    v = np.prod(1 + vi) - 1
    st = vi * np.prod(1 + vi) / (1 + vi) / v
    return pd.DataFrame({"parameter": [f"x{i + 1}" for i in range(len(a))], "S1": vi / v, "ST": st})


ANALYTIC = {"sim.analysis.testfunctions:ishigami": ("ishigami", ishigami_indices),
            "sim.analysis.testfunctions:gfunction": ("gfunction", gfunction_indices)}
"""run function -> (output, analytic indices function), for comparisons."""


__all__ = ["ANALYTIC", "BOX", "CARRIERS", "box", "FunctionResult", "G_A", "carrier_values", "gfunction", "gfunction_indices",
           "gfunction_values", "ishigami", "ishigami_indices", "ishigami_values"]
