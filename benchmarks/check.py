"""Time to verdict of `conv-equivalence check`, and the size of each counterexample against its argued
minimum, over the deliberately broken kernels in tests/broken (and torch's own conv, which must pass).

Each kernel is checked as a user would check it: one command, every facet, in a fresh process
(start-up included), at its rank from `tests.broken.MINIMAL`.

    python benchmarks/check.py [--profile ci] [--only NAME...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from tests.broken import MINIMAL  # noqa: E402


def _size(counterexample: dict | None) -> int | None:  # type: ignore[type-arg]
    if counterexample is None:
        return None
    total = 0
    for key in ("input", "weight", "bias"):
        if counterexample.get(key):
            n = 1
            for d in counterexample[key]["shape"]:
                n *= d
            total += n
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--only", nargs="+")
    args = parser.parse_args()
    cases = [("correct", ("-", 1, 0))] + sorted(MINIMAL.items())
    if args.only:
        cases = [c for c in cases if c[0] in args.only]
    print(f"{'kernel':24s} {'verdict':8s} {'seconds':>8s}  {'facet':15s} {'status':9s} {'size':>5s} {'argued':>6s}  failing facets")
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (facet, ndim, size) in cases:
            out = Path(tmp) / f"{name}.json"
            start = time.perf_counter()
            run = subprocess.run([sys.executable, "-m", "conv_equivalence.cli", "check", f"tests.broken:{name}",
                                  "--ndim", str(ndim), "--profile", args.profile, "--time-limit", "2", "--json", str(out)],
                                 cwd=ROOT, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            times.append(seconds)
            if not out.exists():
                print(f"{name:24s} no report (exit {run.returncode}): {run.stderr.strip()[:80]}")
                continue
            report = json.loads(out.read_text())
            by_name = {f["name"]: f for f in report["facets"]}
            failing = [f["name"] for f in report["facets"] if f["status"] in ("fail", "crash", "timeout")]
            entry = by_name.get(facet, {"status": "-", "counterexample": None})
            found = _size(entry["counterexample"])
            print(f"{name:24s} {report['verdict']:8s} {seconds:8.1f}  {facet:15s} {entry['status']:9s} "
                  f"{'-' if found is None else found:>5} {size if facet != '-' else '-':>6}  {', '.join(failing)}", flush=True)
    print(f"\ntime to verdict over {len(times)} kernels: median {statistics.median(times):.1f}s, max {max(times):.1f}s")


if __name__ == "__main__":
    main()
