"""The audit in the terminal: the summary first, then the matrix folded to the width, never wrapped."""

from __future__ import annotations

import re

import pytest
from rich.console import Console

from conv_equivalence.audit.terminal import print_audit
from conv_equivalence.audit.verdict import DIFFERS, HOLDS, NOT_INSTALLED, REGRESSION, Verdict
from conv_equivalence.backends import all_backends
from conv_equivalence.identities import all_identities

MESSAGE = "numpy.convolve vs the oracle\n1 of 2 elements differ beyond the bound; first 1:\n  at (0, 0, 1): got 0.0, expected 1.0"


def _verdicts() -> list[Verdict]:
    """Every single-backend identity on the torch, numpy and jax backends (jax missing), one regression,
    a pairwise check and a belief: the shapes of a real audit's results, without running one."""
    identities = [i for i in all_identities() if i.status == HOLDS and i.id != "agrees-with-torch"]
    backends = [b for b in all_backends() if b.library in ("torch", "numpy", "jax")]
    out = []
    for identity in identities:
        for b in backends:
            if b.library == "jax":
                out.append(Verdict(identity.id, b.name, HOLDS, NOT_INSTALLED, "jax is not installed (pip install 'conv-equivalence[jax]')"))
            elif identity.id == "equals-oracle" and b.name == "numpy.convolve":
                out.append(Verdict(identity.id, b.name, HOLDS, REGRESSION, MESSAGE))
            else:
                out.append(Verdict(identity.id, b.name, HOLDS, HOLDS))
    out.append(Verdict("agrees-with-torch", "torch.functional.conv|numpy.correlate", HOLDS, HOLDS))
    out.append(Verdict("torch-conv-is-scipy-convolve", "torch", DIFFERS, DIFFERS))
    return out


def _render(width: int, soft_wrap: bool = False) -> list[str]:
    console = Console(width=width, record=True, force_terminal=False, soft_wrap=soft_wrap, file=open("/dev/null", "w"))
    print_audit(console, _verdicts(), elapsed=1.5)
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [60, 80, 132])
def test_every_line_fits_and_the_summary_comes_first(width: int) -> None:
    lines = _render(width)
    assert max(len(line) for line in lines) <= width
    assert lines[0].startswith("CHANGED: 1 regression in ")
    first_matrix_line = next(i for i, line in enumerate(lines) if line.startswith("identities:"))
    regression = next(i for i, line in enumerate(lines) if "equals-oracle [numpy.convolve]" in line)
    assert regression < first_matrix_line
    assert sum("jax (" in line for line in lines) == 1  # the missing library is one line, not a block of blanks
    assert not any("conv_general_dilated" in line for line in lines)


def test_columns_fold_into_pages_that_fit() -> None:
    count = len([i for i in all_identities() if i.status == HOLDS and i.id != "agrees-with-torch"])
    for width in (60, 200):
        lines = _render(width)
        headers = [line for line in lines if re.fullmatch(r"\s+[\d ]+", line)]
        numbers = [int(n) for header in headers for n in header.split()]
        assert numbers == list(range(1, count + 1))  # every identity column once, in order, across the pages
        pages = len(headers)
        assert (pages > 1) == (width == 60)
        rows = [line for line in lines if line.startswith("  convolve ")]
        assert len(rows) == pages and all("✗" in row for row in rows[:1])


def test_a_log_gets_whole_lines() -> None:
    """Where the console does not wrap (a pipe, a CI log), lines are whole, not cut."""
    lines = _render(60, soft_wrap=True)
    assert any("at (0, 0, 1): got 0.0, expected 1.0" in line for line in lines)
