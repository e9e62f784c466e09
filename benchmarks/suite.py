"""Wall time, examples and the largest error/bound ratio per identity x target.

    python benchmarks/suite.py                      # ci profile, all cores
    python benchmarks/suite.py --profile thorough --max-examples 500

It prints one table per identity and one per target (examples per CPU second for each backend).
With the thorough profile this is the false-alarm check for the tolerance model: every
``holds`` identity must hold (0 REGRESSION), and ``max error/bound`` says how much of the
bound real libraries use.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict

from hypothesis import settings

from conv_equivalence.audit.run import run_audit, select
from conv_equivalence.profiles import PROFILES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="ci", choices=sorted(PROFILES))
    parser.add_argument("--max-examples", type=int, help="override the profile's examples per check")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--backends", nargs="*")
    args = parser.parse_args()
    profile = PROFILES[args.profile]
    if args.max_examples:
        profile = settings(profile, max_examples=args.max_examples)
    pairs = select(args.backends)
    start = time.perf_counter()
    result = run_audit(pairs, args.profile, profile, jobs=args.jobs)
    wall = time.perf_counter() - start
    per_identity: dict[str, list] = defaultdict(lambda: [0, 0.0, 0.0, 0])
    for v in result.verdicts:
        row = per_identity[v.identity]
        row[0] += v.examples
        row[1] += v.seconds
        row[2] = max(row[2], v.details.get("max_error_ratio", 0.0) or 0.0)
        row[3] += v.outcome in ("regression", "error", "crash")
    print(f"{'identity':40s} {'examples':>9s} {'cpu s':>8s} {'ex/s':>8s} {'max err/bound':>14s} {'failures':>8s}")
    for identity, (examples, seconds, ratio, failures) in per_identity.items():
        rate = examples / seconds if seconds else 0.0
        print(f"{identity:40s} {examples:9d} {seconds:8.1f} {rate:8.0f} {ratio:14.3g} {failures:8d}")
    per_target: dict[str, list] = defaultdict(lambda: [0, 0.0])
    for v in result.verdicts:
        per_target[v.target][0] += v.examples
        per_target[v.target][1] += v.seconds
    print(f"\n{'target':56s} {'examples':>9s} {'cpu s':>8s} {'ex/s':>8s}")
    for target, (examples, seconds) in sorted(per_target.items()):
        print(f"{target:56s} {examples:9d} {seconds:8.1f} {examples / seconds if seconds else 0.0:8.0f}")
    total = sum(r[0] for r in per_identity.values())
    print(f"\n{len(result.verdicts)} checks, {total} examples, wall {wall:.1f}s with {args.jobs} jobs; outcomes {result.counts()}")
    worst = max(result.verdicts, key=lambda v: v.details.get("max_error_ratio", 0.0) or 0.0)
    print(f"largest error/bound: {worst.details.get('max_error_ratio', 0.0):.3g} ({worst.identity} on {worst.target})")


if __name__ == "__main__":
    main()
