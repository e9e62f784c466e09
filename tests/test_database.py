"""A counterexample found on one runner replays on another, through a real Redis server on loopback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conv_equivalence.database import fleet_database, shared_database

REDIS_SERVER = shutil.which("redis-server")

# One test source for both runners (Hypothesis keys saved examples by the test's source), whose
# failure depends on the runner: A fails for x >= 123457 and shrinks to exactly 123457; B fails only
# at 123457, which generation alone practically never draws, so B failing shows the replay.
RUNNER_TEST = '''
import os
from hypothesis import given, strategies as st

@given(st.integers(0, 10**6))
def test_shared(x):
    if os.environ["RUNNER"] == "A":
        assert x < 123457
    else:
        assert x != 123457
'''


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (Debian package redis-server; .ci/run installs it)")
    redis = pytest.importorskip("redis", reason="the redis package is not installed (extra [dev])")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not answer within 5 s")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _run(tmp: Path, runner: str, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in a fresh directory (a fresh local database), as one CI runner would."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "test_shared.py").write_text(RUNNER_TEST)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "CONV_EQUIVALENCE_PROFILE")} | {"RUNNER": runner}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_shared.py", *args],
                          cwd=tmp, env=env, capture_output=True, text=True, timeout=300)


def test_counterexample_found_on_one_runner_replays_on_another(redis_url: str, tmp_path: Path) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    first = _run(tmp_path / "a", "A", "--hypothesis-db", redis_url)
    assert first.returncode == 1 and "x=123457" in first.stdout, first.stdout
    assert client.dbsize() > 0, "runner A saved nothing to the shared database"
    assert (tmp_path / "a" / ".hypothesis" / "examples").is_dir(), "runner A saved nothing locally"

    keys_before = sorted(client.keys())
    second = _run(tmp_path / "b", "B", "--hypothesis-db", redis_url, "--hypothesis-db-read-only")
    assert second.returncode == 1 and "x=123457" in second.stdout, second.stdout
    assert sorted(client.keys()) == keys_before, "a read-only runner wrote to the shared database"

    alone = _run(tmp_path / "c", "B")  # the same test without the shared database passes
    assert alone.returncode == 0, alone.stdout


def test_bad_locations_are_named() -> None:
    with pytest.raises(ValueError, match="must name a host and a port"):
        shared_database("redis://")
    with pytest.raises(ValueError, match="got scheme 'http'"):
        shared_database("http://example.invalid:80")
    with pytest.raises(ValueError, match="must be redis://HOST:PORT"):
        shared_database("")


def test_directory_store_is_combined_with_the_local_one(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    database = fleet_database(str(shared), local=tmp_path / "local")
    database.save(b"key", b"value")
    assert list(shared_database(str(shared)).fetch(b"key")) == [b"value"]
    read_only = fleet_database(str(shared), read_only=True, local=tmp_path / "other")
    read_only.save(b"key", b"second")
    assert sorted(read_only.fetch(b"key")) == [b"second", b"value"]  # the new value stays local
    assert list(shared_database(str(shared)).fetch(b"key")) == [b"value"]


def test_bad_option_is_a_usage_error(tmp_path: Path) -> None:
    result = _run(tmp_path, "A", "--hypothesis-db", "ftp://host:21")
    assert result.returncode == 4 and "got scheme 'ftp'" in result.stderr, result.stderr


def test_shards_partition_the_suite(tmp_path: Path) -> None:
    (tmp_path / "test_many.py").write_text("import pytest\n\n@pytest.mark.parametrize('i', range(40))\ndef test_x(i):\n    pass\n")
    counts = []
    for index in range(3):
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--conv-shard", f"{index}/3",
                                 "test_many.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout
        counts.append(int(result.stdout.split(" passed")[0].split()[-1]))
    assert sum(counts) == 40 and all(counts)
    bad = subprocess.run([sys.executable, "-m", "pytest", "--conv-shard", "3/3", "test_many.py"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 4 and "0 <= I < N" in bad.stderr
