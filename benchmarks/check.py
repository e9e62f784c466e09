"""Time to verdict of `conv-equivalence check`, and the size of each counterexample against its argued
minimum, over the deliberately broken kernels in tests/broken (and torch's own conv, which must pass).

Each kernel is checked as a user would check it: one command, every facet (the real-sizes facet on, as by
default), in a fresh process (start-up included), at its rank from `tests.broken.MINIMAL`. The kernels that
are wrong only at real sizes (`tests.broken.real_sizes`) are listed with the boundary the check reports.
A second table times the real-sizes facet alone over the whole shipped table (``--shapes all``), the
nightly gate.

    python benchmarks/check.py [--profile ci] [--only NAME...] [--skip-all-shapes]
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
from tests.broken.real_sizes import REAL_SIZE_CORRECT, REAL_SIZE_DEFECTS  # noqa: E402


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


def _run(spec: str, ndim: int, profile: str, out: Path, *extra: str) -> tuple[dict | None, float, str]:  # type: ignore[type-arg]
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "conv_equivalence.cli", "check", spec, "--ndim", str(ndim), "--profile",
                          profile, "--time-limit", "10", "--json", str(out), *extra], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return (json.loads(out.read_text()) if out.exists() else None), seconds, run.stderr.strip()[:80]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--only", nargs="+")
    parser.add_argument("--skip-all-shapes", action="store_true", help="leave out the --shapes all table")
    args = parser.parse_args()
    cases = [("correct", ("-", 1, 0))] + sorted(MINIMAL.items())
    cases += [(f"real_sizes:{name}", ("real-sizes", entry["ndim"], 0)) for name, entry in sorted(REAL_SIZE_DEFECTS.items())]
    cases += [(f"real_sizes:{name}", ("-", 2, 0)) for name in REAL_SIZE_CORRECT]
    if args.only:
        cases = [c for c in cases if c[0] in args.only or c[0].split(":")[-1] in args.only]
    print(f"{'kernel':36s} {'verdict':8s} {'seconds':>8s}  {'facet':15s} {'status':9s} {'size':>5s} {'argued':>6s}  "
          "failing facets / real-size boundary")
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (facet, ndim, size) in cases:
            module = "tests.broken.real_sizes" if name.startswith("real_sizes:") else "tests.broken"
            report, seconds, err = _run(f"{module}:{name.split(':')[-1]}", ndim, args.profile, Path(tmp) / "r.json")
            times.append(seconds)
            if report is None:
                print(f"{name:36s} no report: {err}")
                continue
            by_name = {f["name"]: f for f in report["facets"]}
            failing = [f["name"] for f in report["facets"] if f["status"] in ("fail", "crash", "timeout")]
            entry = by_name.get(facet, {"status": "-", "counterexample": None})
            real = entry.get("real_size")
            if real:
                moved = [f"{b['dimension']} from {b['value']}" for b in real["boundaries"] if b["below"] is not None]
                found, tail = real["smallest_failing_layer"], "; ".join(moved)
                print(f"{name:36s} {report['verdict']:8s} {seconds:8.1f}  {facet:15s} {entry['status']:9s} "
                      f"{'':>5} {'':>6}  {tail}  [{found}]", flush=True)
                continue
            size_found = _size(entry["counterexample"])
            print(f"{name:36s} {report['verdict']:8s} {seconds:8.1f}  {facet:15s} {entry['status']:9s} "
                  f"{'-' if size_found is None else size_found:>5} {size if facet not in ('-', 'real-sizes') else '-':>6}  "
                  f"{', '.join(failing)}", flush=True)
        print(f"\ndefault check (real sizes on), {len(times)} kernels: median {statistics.median(times):.1f}s, "
              f"max {max(times):.1f}s")
        if args.skip_all_shapes:
            return
        print("\n--shapes all (the real-sizes facet alone, every shipped layer of the rank)")
        every = [("correct", 2), ("correct", 1), ("correct", 3)] + [(f"real_sizes:{n}", e["ndim"]) for n, e in
                                                                    sorted(REAL_SIZE_DEFECTS.items())][:3]
        all_times = []
        for name, ndim in every:
            module = "tests.broken.real_sizes" if name.startswith("real_sizes:") else "tests.broken"
            report, seconds, err = _run(f"{module}:{name.split(':')[-1]}", ndim, args.profile, Path(tmp) / "a.json",
                                        "--facets", "real-sizes", "--shapes", "all")
            all_times.append(seconds)
            facet = (report or {"facets": [{"status": "no report", "note": err}]})["facets"][0]
            print(f"{name:36s} {ndim}-D {seconds:8.1f}s  {facet['status']:9s} {facet.get('note', '')[:90]}", flush=True)
        print(f"\n--shapes all, {len(all_times)} runs: median {statistics.median(all_times):.1f}s, max {max(all_times):.1f}s")


if __name__ == "__main__":
    main()
