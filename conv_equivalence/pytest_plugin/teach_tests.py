"""Tests that ``pytest --conv-teach`` adds: every belief of the catalogue refuted by its smallest example.

A test passes when the belief is shown false and prints the lesson (see it with ``-s`` or
``-rP``); it fails, reporting a change, when the belief has started to hold on the installed version.
"""

from __future__ import annotations

import pytest

from conv_equivalence.audit.verdict import DIFFERS, verify
from conv_equivalence.identities import all_identities, get_identity
from conv_equivalence.teach.explain import explain_text

BELIEFS = [identity.id for identity in all_identities() if identity.status == "differs"]


@pytest.mark.parametrize("identity_id", BELIEFS)
def test_belief_is_refuted(identity_id: str) -> None:
    identity = get_identity(identity_id)
    target = identity.targets()[0]
    reason = identity.unavailable_reason(target)
    if reason:
        pytest.skip(reason)
    verdict = verify(identity, target)
    print(explain_text(identity, target, verdict))
    if verdict.outcome != DIFFERS:
        pytest.fail(f"change: the belief {identity_id!r} now holds on the installed {target} ({verdict.outcome})",
                    pytrace=False)
