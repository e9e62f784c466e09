"""Hypothesis settings profiles: ``ci`` (reproducible gate), ``dev`` (default), ``thorough`` (nightly, audits).

Select one with ``pytest --hypothesis-profile NAME`` or the environment variable
``CONV_EQUIVALENCE_PROFILE``; without either, ``ci`` when the ``CI`` variable is set and
``dev`` otherwise.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

ENV_VAR = "CONV_EQUIVALENCE_PROFILE"
_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

PROFILES: dict[str, settings] = {
    # Derandomised: the same examples on every run and machine; no database, no deadline.
    "ci": settings(max_examples=60, derandomize=True, database=None, deadline=None,
                   suppress_health_check=_SLOW, print_blob=True,
                   phases=[Phase.explicit, Phase.generate, Phase.shrink]),
    "dev": settings(max_examples=100, deadline=None, suppress_health_check=_SLOW, print_blob=True),
    "thorough": settings(max_examples=2000, deadline=None, suppress_health_check=_SLOW, print_blob=True),
}


def register_profiles() -> None:
    """Register `PROFILES` under their names with Hypothesis."""
    for name, profile in PROFILES.items():
        settings.register_profile(name, profile)


def default_profile() -> str:
    """The profile to load when none is named on the command line."""
    name = os.environ.get(ENV_VAR) or ("ci" if os.environ.get("CI") else "dev")
    if name not in PROFILES:
        raise ValueError(f"{ENV_VAR} must be one of {sorted(PROFILES)}, got {name!r}")
    return name


def current_profile() -> str:
    """The name of the loaded profile (``--hypothesis-profile`` included)."""
    getter = getattr(settings, "get_current_profile_name", None)  # newer Hypothesis releases; older keep the name here
    return getter() if getter else str(getattr(settings, "_current_profile", ""))


def load_default() -> str:
    """Register the profiles and load `default_profile`; return its name."""
    register_profiles()
    name = default_profile()
    settings.load_profile(name)
    return name
