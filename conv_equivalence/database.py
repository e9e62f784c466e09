"""Example databases for a fleet of runners: each runner's local directory, plus one shared store.

A counterexample that one CI runner finds is saved to the shared store and replayed first by
every other runner (Hypothesis's ``reuse`` phase), so a failure found anywhere fails everywhere,
deterministically. The shared store is a Redis server (``redis://HOST:PORT[/DB]``, Hypothesis's
`RedisExampleDatabase`) or a directory (a path, for a shared file system). It is combined with the
runner's own ``.hypothesis/examples`` directory through `MultiplexedDatabase`; ``read_only`` wraps
it in `ReadOnlyDatabase`, for runners (pull requests, forks) that should replay but not publish.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from hypothesis import Phase, settings
from hypothesis.database import (
    DirectoryBasedExampleDatabase,
    ExampleDatabase,
    MultiplexedDatabase,
    ReadOnlyDatabase,
)

LOCAL_DIRECTORY = Path(".hypothesis") / "examples"


def shared_database(location: str) -> ExampleDatabase:
    """The shared store that ``location`` names: ``redis://HOST:PORT[/DB]`` or a directory path."""
    if not isinstance(location, str) or not location:
        raise ValueError(f"--hypothesis-db must be redis://HOST:PORT[/DB] or a directory, got {location!r}")
    parsed = urlparse(location)
    if parsed.scheme in ("redis", "rediss"):
        if not parsed.hostname or parsed.port is None:
            raise ValueError(f"--hypothesis-db must name a host and a port, as redis://HOST:PORT[/DB], got {location!r}")
        try:
            import redis
            from hypothesis.extra.redis import RedisExampleDatabase
        except ImportError:
            raise ValueError("--hypothesis-db redis://... needs the redis package (pip install redis)") from None
        return RedisExampleDatabase(redis.Redis.from_url(location))
    if parsed.scheme and len(parsed.scheme) > 1:  # "C:" is a drive, not a scheme
        raise ValueError(f"--hypothesis-db must be redis://HOST:PORT[/DB] or a directory, got scheme {parsed.scheme!r}")
    return DirectoryBasedExampleDatabase(location)


def fleet_database(location: str, *, read_only: bool = False, local: Path | str = LOCAL_DIRECTORY) -> ExampleDatabase:
    """The runner's local directory database combined with the shared store at ``location``."""
    shared = shared_database(location)
    return MultiplexedDatabase(DirectoryBasedExampleDatabase(local), ReadOnlyDatabase(shared) if read_only else shared)


def with_database(profile: settings, database: ExampleDatabase) -> settings:
    """``profile`` using ``database``, with the ``reuse`` phase on so saved counterexamples replay first."""
    phases = sorted(set(profile.phases) | {Phase.reuse}, key=list(Phase).index)
    return settings(profile, database=database, phases=phases)
