"""pytest plugin (entry point ``pytest11``): conv-equivalence's profiles and ``--conv-impl``.

* Registers the Hypothesis profiles under prefixed names (``conv-equivalence-ci``,
  ``-dev``, ``-thorough``) so a user's suite can pick them with ``--hypothesis-profile``
  without shadowing Hypothesis's own ``ci`` profile.
* ``pytest --conv-impl MODULE:ATTR [--conv-ndim N] [--conv-transposed]`` runs the check
  (`conv_equivalence.check.run`) on that callable once and adds one test per facet to the session;
  ``--conv-shapes NAME|FILE|all`` splits its real-sizes facet into one test per layer group.
* ``pytest --conv-teach`` adds one test per catalogued belief: it passes when the belief is refuted
  and prints the smallest counterexample; a belief that now holds fails as a change.
* ``pytest --hypothesis-db redis://HOST:PORT [--hypothesis-db-read-only]`` shares counterexamples
  across runners (`conv_equivalence.database`): the loaded profile keeps its settings, gains the
  shared store beside the local ``.hypothesis/examples`` and replays saved examples first.
* ``pytest --conv-shard I/N`` keeps shard I of N (a stable hash of each test id), one per machine.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from conv_equivalence.database import fleet_database, with_database
from conv_equivalence.profiles import PROFILES

# At import, before Hypothesis's own plugin loads the profile named on the command line.
for _name, _profile in PROFILES.items():
    settings.register_profile(f"conv-equivalence-{_name}", _profile)

IMPL_TESTS = Path(__file__).with_name("impl_tests.py")
TEACH_TESTS = Path(__file__).with_name("teach_tests.py")


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("conv-equivalence")
    group.addoption("--conv-impl", metavar="MODULE:ATTR", help="check this convolution against the oracle")
    group.addoption("--conv-ndim", type=int, default=2, choices=(1, 2, 3), help="spatial rank for --conv-impl")
    group.addoption("--conv-transposed", action="store_true", help="--conv-impl has conv_transpose's signature")
    group.addoption("--conv-shapes", nargs="+", metavar="NAME|FILE|all",
                    help="real-sizes facet of --conv-impl: one test per layer group (shipped model table or table file)")
    group.addoption("--conv-teach", action="store_true",
                    help="refute every catalogued belief with its smallest counterexample (print with -s)")
    group.addoption("--hypothesis-db", metavar="redis://HOST:PORT|DIR",
                    help="share counterexamples through this Redis server or directory, beside the local database")
    group.addoption("--hypothesis-db-read-only", action="store_true",
                    help="replay counterexamples from --hypothesis-db without writing to it")
    group.addoption("--conv-shard", metavar="I/N", help="run only shard I (0-based) of N, split by test id (one per machine)")


def shard_of(nodeid: str, shards: int) -> int:
    """The shard a test belongs to: a stable hash of its id, the same on every machine and run."""
    return zlib.crc32(nodeid.encode()) % shards


def parse_shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise pytest.UsageError(f"--conv-shard must be I/N with integers, got {text!r}") from None
    if not 0 <= index < count:
        raise pytest.UsageError(f"--conv-shard I/N needs 0 <= I < N, got {text!r}")
    return index, count


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    text = config.getoption("--conv-shard", default=None)
    if not text:
        return
    index, count = parse_shard(text)
    keep: list[Any] = []
    drop: list[Any] = []
    for item in items:
        (keep if shard_of(item.nodeid, count) == index else drop).append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep


@pytest.hookimpl(trylast=True)  # after Hypothesis's own plugin has loaded --hypothesis-profile
def pytest_configure(config: Any) -> None:
    location = config.getoption("--hypothesis-db", default=None)
    if location:
        try:
            database = fleet_database(location, read_only=config.getoption("--hypothesis-db-read-only"))
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
        settings.register_profile("conv-equivalence-shared-db", with_database(settings(), database))
        settings.load_profile("conv-equivalence-shared-db")
    if config.getoption("--conv-impl", default=None) and str(IMPL_TESTS) not in config.args:
        config.args.append(str(IMPL_TESTS))
    if config.getoption("--conv-teach", default=False) and str(TEACH_TESTS) not in config.args:
        config.args.append(str(TEACH_TESTS))
