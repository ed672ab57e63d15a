"""The model benchmark ends with one summary line a user can compare across machines."""

from __future__ import annotations

import re
import sys

from conftest import ROOT


def test_bench_model_prints_a_comparable_summary_line(capsys):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_model
    finally:
        sys.path.pop(0)
    bench_model.main(["--quick", "--repeats", "1"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    m = re.match(r"SUMMARY aieco \S+ \(git \w+\): baseline run \(5,000 developers, 12 months\) ([\d.]+) s, "
                 r"(-?[\d.]+) ms/step per 1k developers \| .+, (\d+) cores, load ([\d.]+|unknown)", last)
    assert m, last
    assert float(m.group(1)) > 0 and int(m.group(3)) >= 1
