"""Properties of the distillation submodel (sim/model/distillation.py) and of its evidence table."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim.model.distillation import absorption, distilled_capability, fit_absorption, reachable_teachers
from sim.scenario.schema import Labs

PARITY, ELAST = 0.63, 0.53
caps = st.floats(20.0, 30.0)
flops = st.floats(1e20, 1e27)


@settings(max_examples=200, deadline=None)
@example(own=21.0, own_flop=8e24, tc=[21.5], tf=[1e20] * 6, eff=[1.0] * 6, parity=0.63, elast=3.0)  # share rounds to 1
@given(own=caps, own_flop=flops, tc=st.lists(caps, min_size=1, max_size=6), tf=st.lists(flops, min_size=6, max_size=6),
       eff=st.lists(st.floats(0.0, 1.0), min_size=6, max_size=6), parity=st.floats(0.0, 0.95),
       elast=st.floats(0.0, 3.0))
def test_never_below_own_and_never_reaches_the_teacher(own, own_flop, tc, tf, eff, parity, elast):
    k = len(tc)
    c, t = distilled_capability(own, own_flop, np.array(tc), np.array(tf[:k]), np.array(eff[:k]), parity, elast)
    assert c >= own
    if t >= 0:
        assert tc[t] > own and c < tc[t]
    else:
        assert c == own


def test_no_reachable_teacher_no_uplift():
    c, t = distilled_capability(24.0, 1e24, np.array([26.0, 27.0]), np.array([1e25, 1e26]), np.zeros(2), PARITY, ELAST)
    assert (c, t) == (24.0, -1)
    # a teacher below the student teaches nothing either
    c, t = distilled_capability(24.0, 1e24, np.array([23.0]), np.array([1e25]), np.ones(1), PARITY, ELAST)
    assert (c, t) == (24.0, -1)


def test_share_closed_rises_with_own_compute_and_matches_parity():
    shares = absorption(1e24, np.array([1e26, 1e25, 1e24, 1e23]), PARITY, ELAST)
    assert np.all(np.diff(shares) > 0)  # the more own compute relative to the teacher, the more of the gap
    assert shares[2] == pytest.approx(PARITY)
    ten_x_less = absorption(1e23, np.array([1e24]), PARITY, ELAST)[0]
    assert ten_x_less < PARITY  # a lab with 10x less compute gets less of it
    assert absorption(1e24, np.array([1e24]), 0.0, ELAST)[0] == 0.0


def test_capability_rises_with_own_compute_and_with_the_teachers_capability():
    teacher_cap, teacher_flop = np.array([27.0]), np.array([1e26])
    own_flops = np.logspace(22, 25.5, 8)
    # own capability follows own compute (same algorithmic efficiency): c_own = log10(F)
    out = [distilled_capability(np.log10(f), f, teacher_cap, teacher_flop, np.ones(1), PARITY, ELAST)[0]
           for f in own_flops]
    assert np.all(np.diff(out) > 0)
    by_teacher = [distilled_capability(24.0, 1e24, np.array([c]), teacher_flop, np.ones(1), PARITY, ELAST)[0]
                  for c in (24.5, 25.0, 26.0, 27.0)]
    assert np.all(np.diff(by_teacher) > 0)


def test_api_channel_is_weaker_and_blockable():
    region = np.array([0, 0, 1])  # two US teachers, one Chinese
    teacher_open = np.array([True, False, False])
    active = np.array([True, True, True])
    block = np.zeros((4, 4), bool)
    ban = np.zeros(4, bool)
    eff = reachable_teachers(1, region, teacher_open, active, block, ban, 0.5)
    assert eff.tolist() == [1.0, 0.5, 0.5]  # open weights, a US API, its own region's API
    block[0, 1] = True  # US labs stop serving China: the US API no longer teaches Chinese labs
    assert reachable_teachers(1, region, teacher_open, active, block, ban, 0.5).tolist() == [1.0, 0.0, 0.5]
    ban[1] = True  # China bans foreign closed APIs
    assert reachable_teachers(1, region, teacher_open, active, np.zeros((4, 4), bool), ban, 0.5).tolist() == \
        [1.0, 0.0, 0.5]
    gone = np.array([True, False, True])  # an exited lab's API is gone
    assert reachable_teachers(1, region, teacher_open, gone, np.zeros((4, 4), bool), np.zeros(4, bool), 0.5)[1] == 0


def test_defaults_are_the_fit_to_the_r1_table():
    fit = fit_absorption()
    assert fit.n == 5 and fit.r2 > 0.8
    assert Labs().distill_share_at_parity == pytest.approx(fit.share_at_parity, abs=0.005)
    assert Labs().distill_compute_elasticity == pytest.approx(fit.elasticity, abs=0.005)
    lo, hi = Labs.model_fields["distill_share_at_parity"].json_schema_extra["plausible"]
    assert lo < fit.share_at_parity < hi
