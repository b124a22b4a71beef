"""Taxonomy reload by AdminService.ReloadTaxonomy and by SIGHUP, under
traffic: no article fails, versions only move forward, new concepts are
tagged; a broken overlay keeps the old taxonomy."""

import os
import re
import shutil
import signal
import threading

import grpc
import pytest
from conftest import NO_FILE_PERMISSION_OVERRIDE, RPC_TIMEOUT, STARTER_TAXONOMY, ResponseStream
from tagwire.v1 import admin_service_pb2, article_pb2, tagging_service_pb2

BODY = (
    b"The Zorblax Consortium and the Quuxifer Institute met the Frobnitz Group in Paris on Monday."
)
ZORBLAX = '{"id": "org:zorblax", "kind": "ORGANIZATION", "name": "Zorblax Consortium"}'
QUUXIFER = '{"id": "org:quuxifer", "kind": "ORGANIZATION", "name": "Quuxifer Institute"}'
FROBNITZ = '{"id": "org:frobnitz", "kind": "ORGANIZATION", "name": "Frobnitz Group"}'
HEX16 = re.compile(r"^[0-9a-f]{16}$")


def write_atomically(path, lines):
    """Replaces the file in one rename, so the server never reads half of it."""
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    os.replace(tmp, path)


@pytest.fixture(scope="module")
def taxonomy(tmp_path_factory):
    directory = tmp_path_factory.mktemp("taxonomy")
    base, overlay = directory / "base.jsonl", directory / "overlay.jsonl"
    shutil.copy(STARTER_TAXONOMY, base)
    write_atomically(overlay, [ZORBLAX])
    return base, overlay


@pytest.fixture(scope="module")
def server(start_module_server, taxonomy):
    base, overlay = taxonomy
    return start_module_server(taxonomy=f"{base},{overlay}")


def concepts(response):
    return {t.concept_id for t in response.tagged_article.tags}


def reload(server):
    return server.admin().ReloadTaxonomy(admin_service_pb2.ReloadTaxonomyRequest(), timeout=60)


def endless_stream(server, prefix):
    """A TagStream sending BODY as articles prefix0, prefix1, … until the
    returned event is set; returns (stream, stop)."""
    stop = threading.Event()

    def endless():
        i = 0
        while not stop.is_set():
            yield tagging_service_pb2.TagStreamRequest(
                article=article_pb2.Article(id=f"{prefix}{i}", body=BODY)
            )
            i += 1

    stub = server.tagging()
    return ResponseStream(lambda: stub.TagStream(endless(), timeout=120)), stop


def test_reload_under_traffic(server, taxonomy):
    _, overlay = taxonomy
    v0 = server.taxonomy_version()
    before = server.stats()
    info0 = (
        server.admin()
        .GetTaxonomy(admin_service_pb2.GetTaxonomyRequest(), timeout=RPC_TIMEOUT)
        .taxonomy
    )
    assert [os.path.basename(f) for f in info0.source_files] == ["base.jsonl", "overlay.jsonl"]

    stream, stop = endless_stream(server, "r")
    responses = []

    def pull_until(predicate, then=50, limit=200_000):
        """Receives responses until one satisfies `predicate`, then `then` more."""
        while not (responses and predicate(responses[-1])):
            assert len(responses) < limit, "the awaited version never appeared"
            responses.append(stream.recv())
        for _ in range(then):
            responses.append(stream.recv())

    pull_until(lambda r: True)

    # 1. ReloadTaxonomy after adding a concept.
    write_atomically(overlay, [ZORBLAX, QUUXIFER])
    reloaded = reload(server)
    v1 = reloaded.taxonomy.version
    assert reloaded.changed and reloaded.previous_version == v0 and HEX16.match(v1) and v1 != v0
    assert reloaded.taxonomy.concept_count == info0.concept_count + 1
    pull_until(lambda r: r.tagged_article.taxonomy_version == v1)

    # 2. SIGHUP after another change.
    write_atomically(overlay, [ZORBLAX, QUUXIFER, FROBNITZ])
    mark = server.event_count()
    server.send_signal(signal.SIGHUP)
    # By trigger: the log reader may not have read the admin reload's line
    # yet when the mark was taken.
    event = server.wait_event(
        "taxonomy_reloaded", timeout=30, after=mark, where=lambda e: e.get("trigger") == "SIGHUP"
    )
    v2 = event.get("version")
    assert event.get("previous_version") == v1 and v2 not in (v0, v1), event
    pull_until(lambda r: r.tagged_article.taxonomy_version == v2)
    stop.set()
    responses.extend(stream.drain(timeout=30))
    assert stream.code == grpc.StatusCode.OK, stream.details

    assert [r.sequence for r in responses] == list(range(len(responses)))
    order = {v0: 0, v1: 1, v2: 2}
    last = 0
    for r in responses:
        assert r.WhichOneof("result") == "tagged_article", (r.id, r.error)
        version = r.tagged_article.taxonomy_version
        assert version in order, f"{r.id}: unknown taxonomy_version {version}"
        assert order[version] >= last, f"{r.id}: taxonomy_version went back"
        last = order[version]
        found = concepts(r)
        assert "org:zorblax" in found and "geo:2988507" in found, (r.id, found)
        assert ("org:quuxifer" in found) == (order[version] >= 1), (r.id, version, found)
        assert ("org:frobnitz" in found) == (order[version] == 2), (r.id, version, found)

    after = server.stats()
    assert after.articles_failed == before.articles_failed
    assert after.reloads - before.reloads == 2
    assert after.failed_reloads == before.failed_reloads
    assert after.taxonomy_version == v2


def test_reload_without_change(server):
    version = server.taxonomy_version()
    reloaded = reload(server)
    assert not reloaded.changed
    assert reloaded.previous_version == version == reloaded.taxonomy.version


@pytest.mark.parametrize(
    "line2",
    [
        '{"id": "org:broken", "kind": ',  # invalid JSON
        ZORBLAX,  # the same id twice in one file
        # A regex Hyperscan rejects (a back-reference): refused at compile time.
        '{"id": "topic:broken", "kind": "TOPIC", "name": "broken",'
        ' "rules": [{"regex": "(ab)\\\\1", "weight": 1.0}]}',
        '{"id": "org:nul", "kind": "ORGANIZATION", "name": "Nul\x00Corp"}',  # a raw NUL byte
    ],
    ids=["invalid-json", "duplicate-id", "hyperscan-rejects-regex", "raw-nul"],
)
def test_broken_overlay_keeps_the_old_taxonomy(server, taxonomy, line2):
    _, overlay = taxonomy
    version = server.taxonomy_version()
    failed_before = server.stats().failed_reloads
    write_atomically(overlay, [ZORBLAX, line2])
    try:
        with pytest.raises(grpc.RpcError) as raised:
            reload(server)
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "overlay.jsonl:2" in raised.value.details(), raised.value.details()

        mark = server.event_count()
        server.send_signal(signal.SIGHUP)
        # By trigger: the log reader may not have read the admin reload's
        # line yet when the mark was taken.
        event = server.wait_event(
            "reload_failed", timeout=30, after=mark, where=lambda e: e.get("trigger") == "SIGHUP"
        )
        assert "overlay.jsonl:2" in event.get("error", ""), event

        # Tagging goes on with the old taxonomy.
        assert server.taxonomy_version() == version
        tagged = (
            server.tagging()
            .Tag(
                tagging_service_pb2.TagRequest(
                    article=article_pb2.Article(id="after-failure", body=BODY)
                ),
                timeout=RPC_TIMEOUT,
            )
            .tagged_article
        )
        assert tagged.taxonomy_version == version
        assert "org:zorblax" in {t.concept_id for t in tagged.tags}
        assert server.stats().failed_reloads == failed_before + 2
    finally:
        write_atomically(overlay, [ZORBLAX, QUUXIFER, FROBNITZ])


def test_failed_reloads_under_traffic_lose_nothing(start_server, tmp_path):
    """A stream keeps tagging, all of it with the old taxonomy, while the
    overlay is broken in every way a reload can meet (and the server cannot
    override file permissions); then a good overlay in BOM + CRLF form is
    taken, and the stream ends OK with nothing failed."""
    base, overlay = tmp_path / "base.jsonl", tmp_path / "overlay.jsonl"
    shutil.copy(STARTER_TAXONOMY, base)
    write_atomically(overlay, [ZORBLAX])
    server = start_server(prefix=NO_FILE_PERMISSION_OVERRIDE, taxonomy=f"{base},{overlay}")
    v0 = server.taxonomy_version()
    before = server.stats()

    def write_bytes(content):
        def apply():
            overlay.unlink(missing_ok=True)
            overlay.write_bytes(content)

        return apply

    def unreadable():
        write_atomically(overlay, [ZORBLAX, QUUXIFER])
        overlay.chmod(0)

    broken = {
        "invalid-json": write_bytes(ZORBLAX.encode() + b'\n{"id": "org:broken", "kind": \n'),
        "truncated": write_bytes(ZORBLAX.encode()[:25]),
        "duplicate-id": write_bytes(f"{ZORBLAX}\n{ZORBLAX}\n".encode()),
        "raw-nul": write_bytes(ZORBLAX.encode() + b"\n" + QUUXIFER.encode().replace(b"I", b"\0")),
        "utf-16": write_bytes(b"\xff\xfe" + ZORBLAX.encode("utf-16-le")),
        "hyperscan-rejects-regex": write_bytes(
            b'{"id": "topic:broken", "kind": "TOPIC", "name": "broken",'
            b' "rules": [{"regex": "(ab)\\\\1", "weight": 1.0}]}\n'
        ),
        "unreadable": unreadable,
        "missing": lambda: overlay.unlink(),
    }

    stream, stop = endless_stream(server, "f")
    responses = [stream.recv() for _ in range(20)]
    refusals = {}
    for name, apply in broken.items():
        apply()
        with pytest.raises(grpc.RpcError) as raised:
            reload(server)
        refusals[name] = (raised.value.code(), raised.value.details())
        responses.extend(stream.recv() for _ in range(20))  # tagging goes on meanwhile

    # Fixed, in BOM + CRLF form, with one more concept: taken.
    overlay.unlink(missing_ok=True)
    overlay.write_bytes(b"\xef\xbb\xbf" + f"{ZORBLAX}\r\n{QUUXIFER}\r\n".encode())
    v1 = reload(server).taxonomy.version
    while responses[-1].tagged_article.taxonomy_version != v1:
        responses.append(stream.recv())
    stop.set()
    responses.extend(stream.drain(timeout=30))
    assert stream.code == grpc.StatusCode.OK, stream.details

    for name, (code, details) in refusals.items():
        assert "overlay.jsonl" in details, (name, details)
        expected = {
            "unreadable": grpc.StatusCode.PERMISSION_DENIED,
            "missing": grpc.StatusCode.NOT_FOUND,
        }.get(name, grpc.StatusCode.INVALID_ARGUMENT)
        assert code == expected, (name, code, details)
        if name not in ("unreadable", "missing"):
            assert "overlay.jsonl:" in details, (name, details)  # with the line
    assert "overlay.jsonl:1: UTF-16 byte-order mark" in refusals["utf-16"][1]
    assert [r.sequence for r in responses] == list(range(len(responses)))
    versions = [r.tagged_article.taxonomy_version for r in responses]
    assert all(r.WhichOneof("result") == "tagged_article" for r in responses)
    switch = versions.index(v1)
    assert set(versions[:switch]) == {v0} and set(versions[switch:]) == {v1}
    assert switch >= 20 * (len(broken) + 1), "the failed reloads were not under traffic"
    assert all("org:quuxifer" in concepts(r) for r in responses[switch:])
    after = server.stats()
    assert after.failed_reloads - before.failed_reloads == len(broken)
    assert after.articles_failed == before.articles_failed
    print(f"{len(responses)} articles tagged across {len(broken)} failed reloads, 0 failed")
