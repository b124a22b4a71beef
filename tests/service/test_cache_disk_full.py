"""A full disk under the compiled-cache directory: tagwired still starts
(compiling in memory), says why the cache was not written, leaves no partial
file behind, and a later start never trusts one.

Needs a tiny tmpfs, so it mounts one (root with CAP_SYS_ADMIN, as in CI and
the dev containers); where mounting is not allowed it skips and says so."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import RPC_TIMEOUT
from tagwire.v1 import article_pb2, tagging_service_pb2

PARIS = "geo:2988507"


@pytest.fixture
def full_disk(tmp_path: Path):
    """A 16 KiB tmpfs: smaller than the starter taxonomy's compiled cache."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}): needs CAP_SYS_ADMIN")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def tag_paris(server) -> set[str]:
    article = article_pb2.Article(id="p", body=b"Leaders met in Paris on Monday.")
    response = server.tagging().Tag(
        tagging_service_pb2.TagRequest(article=article), timeout=RPC_TIMEOUT
    )
    return {t.concept_id for t in response.tagged_article.tags}


def test_full_cache_disk_starts_compiling_in_memory(start_server, full_disk):
    first = start_server(cache_dir=str(full_disk))
    loaded = first.wait_event("taxonomy_loaded")
    assert "cache not written" in loaded["cache"], loaded
    assert PARIS in tag_paris(first)
    # Nothing half-written is left to be found by the next start.
    assert os.listdir(full_disk) == [], os.listdir(full_disk)
    first.stop()

    second = start_server(cache_dir=str(full_disk))
    loaded = second.wait_event("taxonomy_loaded")
    assert "loaded from cache" not in loaded["cache"], loaded
    assert PARIS in tag_paris(second)
