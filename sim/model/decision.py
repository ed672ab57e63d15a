"""The theories of the release decision (``labs.decision``; docs/ODD.md 7.7): how a lab turns its open/closed index
into a strategy, and the state that makes a strategy persist.

- ``myopic``: each release an independent draw from ``logistic(index)`` (:meth:`sim.model.labs.Lab.release` keeps
  that path as it was; this module is not called).
- ``learning``: experience-weighted attraction (EWA; Camerer & Ho 1999, Econometrica 67:827) over {open, closed}.
  At each release the lab values both options on the index's logit scale, ``u_closed = beta pi_closed / D`` and
  ``u_open = beta pi_open / D + x_position + x_state + x_misuse + x_bias`` (``D = |pi_open| + |pi_closed|``, so
  ``u_open - u_closed`` is today's index); the option it holds (its current model's strategy: realised over the past
  cycle) is reinforced with weight 1, the other (foregone) with ``delta``::

      N(t) = rho N(t-1) + 1
      A_j(t) = (phi N(t-1) A_j(t-1) + (delta + (1 - delta) [j held]) u_j(t)) / N(t)
      P(open) = logistic(lambda (A_open(t) - A_closed(t)))

  Only the difference ``A_open - A_closed`` matters and is kept; with ``phi = rho = 0, delta = 1, lambda = 1`` it
  is today's index, bit for bit, so ``learning`` is ``myopic`` draw for draw.
- ``imitation``: no memory; the index gains ``x_imitation``, the pull toward the strategy of peers with more
  adopters (:func:`imitation_pull`), and ``x_inertia``, a cost of switching away from the current strategy that
  grows with the lab's size (Hannan & Freeman 1984): ``±(switch_cost + inertia_size x compute / largest compute)``.
- ``strategic``: both: the pull enters the attractions (as a term of ``u_open``), inertia the choice.

Every theory draws one uniform number per release, as ``myopic`` does.
"""

from __future__ import annotations

import numpy as np

from sim.model.kernels import imitation_pulls as pulls_kernel
from sim.model.kernels_books import active_max

LEARNS = {"myopic": False, "learning": True, "imitation": False, "strategic": True}
IMITATES = {"myopic": False, "learning": False, "imitation": True, "strategic": True}


def logistic(x: float) -> float:
    """``1 / (1 + exp(-x))`` as :func:`sim.model.market.p_open` computes it (numpy's exp)."""
    return float(1.0 / (1.0 + np.exp(-x)))


def index_value(pi_open: float, pi_closed: float, beta: float, rest: float) -> float:
    """Today's open/closed index, ``beta (pi_open - pi_closed) / D + rest``, in :func:`sim.model.market.p_open`'s
    arithmetic (bit for bit)."""
    denom = abs(pi_open) + abs(pi_closed)
    return beta * ((pi_open - pi_closed) / denom if denom > 0 else 0.0) + rest


def foregone_correction(pi_open: float, pi_closed: float, beta: float, rest: float, held_open: bool,
                        delta: float) -> float:
    """``w_open u_open - w_closed u_closed - (u_open - u_closed)``: what EWA's lower weight ``delta`` on the foregone
    option changes in the update of ``A_open - A_closed`` (``(1 - delta) u_closed`` when the lab holds open,
    ``-(1 - delta) u_open`` when it holds closed; exactly 0.0 at ``delta = 1``)."""
    denom = abs(pi_open) + abs(pi_closed)
    u_closed = beta * pi_closed / denom if denom > 0 else 0.0
    u_open = (beta * pi_open / denom if denom > 0 else 0.0) + rest
    return (1.0 - delta) * u_closed if held_open else -((1.0 - delta) * u_open)


def imitation_pull(adopters: np.ndarray, lab_open: np.ndarray, peers: np.ndarray, i: int) -> float:
    """The pull toward open (-1..1) of lab ``i``'s ``peers`` (bool (K,), without ``i``) on it: proportional
    imitation (Schlag 1998; in the mean the replicator dynamics), each peer with more adopters than ``i`` weighted by
    its advantage, ``sum_j max(0, a_j - a_i) (2 open_j - 1) / sum_j a_j`` over the peers (0 without adopters). The
    leader feels no pull; a lab without adopters is pulled to its peers' adoption-weighted balance of open and
    closed."""
    a = adopters[peers].astype(float)
    total = a.sum()
    if total <= 0:
        return 0.0
    gain = np.maximum(a - float(adopters[i]), 0.0)
    sign = np.where(lab_open[peers], 1.0, -1.0)
    return float((gain * sign).sum() / total)


class DecisionState:
    """Per-lab state of the non-myopic theories: ``attraction`` (K,) ``A_open - A_closed`` (logit scale) and
    ``experience`` (K,) EWA's ``N`` (0 before the lab's first release: its first choice has no prior and holds no
    strategy, so neither option is foregone and no inertia applies; the lab's model before the run, or a new
    lab's default, does not count as held)."""

    def __init__(self, n_labs: int, labs) -> None:
        self.p = labs
        self.theory = labs.decision
        self.learns = LEARNS[self.theory]
        self.imitates = IMITATES[self.theory]
        self.attraction = np.zeros(n_labs)
        self.experience = np.zeros(n_labs)

    def choose(self, m, i: int, pay: dict[str, float], terms: dict[str, float], beta: float,
               allowed: bool) -> tuple[float, dict[str, float]]:
        """P(open) of lab ``i``'s release under the theory, and the extra index terms for the release log:
        ``x_imitation`` (the pull, in ``u_open``), ``x_learned`` (what memory adds: ``lambda (A_open - A_closed)``
        minus this release's ``u_open - u_closed``) and ``x_inertia``; updates the lab's attraction. ``m`` the model,
        ``pay``/``terms`` the lab's :meth:`~sim.model.labs.Lab.payoffs` and :meth:`~sim.model.labs.Lab.open_index`,
        ``beta`` its payoff slope (0 for a research lab); ``allowed``: its government lets it open."""
        p, s = self.p, m.labs_state
        rest = terms["x_position"] + terms["x_state"] + terms["x_misuse"] + terms["x_bias"]
        x_imit = self._pull(m, i) if self.imitates else 0.0
        if self.imitates:
            rest = rest + x_imit
        x_now = index_value(pay["pi_open"], pay["pi_closed"], beta, rest)
        held_open = bool(s.open[i])
        if self.learns:
            delta, phi, rho, lam = p.ewa_delta, p.ewa_phi, p.ewa_rho, p.ewa_lambda
        else:
            delta, phi, rho, lam = 1.0, 0.0, 0.0, 1.0
        n_old = self.experience[i]
        first = n_old == 0.0  # the lab's first release in the run: no strategy held, no prior (ODD 7.7)
        n_new = rho * n_old + 1.0
        gain = x_now if first else x_now + foregone_correction(pay["pi_open"], pay["pi_closed"], beta, rest,
                                                                held_open, delta)
        a_new = (phi * n_old * self.attraction[i] + gain) / n_new
        self.attraction[i], self.experience[i] = a_new, n_new
        x = lam * a_new
        x_inertia = self._inertia(s, i, held_open) if self.imitates and not first else 0.0
        if x_inertia != 0.0:
            x = x + x_inertia
        prob = logistic(x) if allowed else 0.0
        return prob, {"x_imitation": x_imit, "x_learned": lam * a_new - x_now, "x_inertia": x_inertia}

    def _pull(self, m, i: int) -> float:
        """``imitation_weight`` x the pull of the home region's peers and the world's (:func:`imitation_pull`, run
        as :func:`sim.model.kernels.imitation_pulls`: the same numbers, compiled), weighted by
        ``imitation_region_share``."""
        s, p = m.labs_state, self.p
        pull_home, pull_world = pulls_kernel(m.adopters, s.open, s.active, s.region, i)  # compiled, bit for bit
        pull = p.imitation_region_share * pull_home + (1.0 - p.imitation_region_share) * pull_world
        return p.imitation_weight * pull

    def _inertia(self, s, i: int, held_open: bool) -> float:
        """``±(switch_cost + inertia_size x compute_i / the largest active lab's compute)``, toward the strategy the
        lab holds (Hannan & Freeman 1984: inertia grows with size)."""
        best, found = active_max(s.compute, s.active)  # compiled s.compute[s.active].max()
        top = float(best) if found else 0.0
        size = float(s.compute[i]) / top if top > 0 else 0.0
        cost = self.p.switch_cost + self.p.inertia_size * min(1.0, size)
        return cost if held_open else -cost
