"""Starting tagwired: refusing bad configurations quickly and clearly, and
the flags that shape a running server."""

import time

import grpc
import pytest
from conftest import NO_FILE_PERMISSION_OVERRIDE, RPC_TIMEOUT, STARTER_TAXONOMY, ServerExited
from tagwire.v1 import admin_service_pb2, article_pb2, tagging_service_pb2

BODY = b"Leaders met in Paris and Berlin on Monday."


def start_failing(start_server, **flags):
    """Starts a tagwired that must refuse to run; returns its stderr."""
    server = start_server(wait=False, **flags)
    started = time.monotonic()
    with pytest.raises(ServerExited):
        server.wait_event("serving", timeout=15)
    code = server.wait_exit(5)
    assert code != 0, "tagwired exited 0 although it refused to start"
    assert time.monotonic() - started < 15
    return server.stderr_text()


def tag(server, channel=None, body=BODY):
    return server.tagging(channel).Tag(
        tagging_service_pb2.TagRequest(article=article_pb2.Article(id="t", body=body)),
        timeout=RPC_TIMEOUT,
    )


def test_default_taxonomy_serves_without_flags(start_server, monkeypatch):
    """No --taxonomy and no TAGWIRE_TAXONOMY: the default taxonomy from the
    source tree (an installed copy is covered by tests/deploy)."""
    monkeypatch.delenv("TAGWIRE_TAXONOMY")
    server = start_server(wait=False, taxonomy=None)
    # A cold compile of 146,000 literals: about 8 s here, several times that
    # under ASan (scripts/sanitize); the session's cache makes reruns warm.
    server.wait_ready(timeout=300)
    info = server.admin().GetTaxonomy(admin_service_pb2.GetTaxonomyRequest(), timeout=RPC_TIMEOUT)
    assert [f.rsplit("/", 1)[-1] for f in info.taxonomy.source_files] == ["default.jsonl.gz"]
    assert info.taxonomy.concept_count > 30000
    response = tag(
        server, body=b"KYIV, Ukraine (Tagwire News) \xe2\x80\x94 NATO ministers met in Kyiv."
    )
    ids = {t.concept_id for t in response.tagged_article.tags}
    assert {"geo:703448", "geo:690791", "org:nato"} <= ids, ids


def test_malformed_taxonomy_is_refused_with_file_and_line(start_server, tmp_path):
    bad = tmp_path / "bad.jsonl"
    first_line = STARTER_TAXONOMY.read_text().splitlines()[0]
    bad.write_text(first_line + "\n" + '{"id": "org:x", "kind": "ORGANIZATION", "name": \n')
    stderr = start_failing(start_server, taxonomy=bad)
    assert "bad.jsonl:2" in stderr, stderr


def test_missing_taxonomy_file_is_refused(start_server, tmp_path):
    missing = tmp_path / "no-such-taxonomy.jsonl"
    stderr = start_failing(start_server, taxonomy=missing)
    assert "no-such-taxonomy.jsonl" in stderr, stderr


ACME = b'{"id": "org:acme", "kind": "ORGANIZATION", "name": "Acme Widgets"}'


@pytest.mark.parametrize(
    "content, expected",
    [
        (ACME + b"\n" + ACME + b"\n", "bad.jsonl:2: duplicate id 'org:acme' (first defined at"),
        (
            ACME + b'\n{"id": "org:nul", "kind": "ORGANIZATION", "name": "Nul\x00Corp"}\n',
            "bad.jsonl:2: NUL byte at column",
        ),
        (
            ACME + b'\n{"id": "org:nul", "kind": "ORGANIZATION", "name": "Nul\\u0000Corp"}\n',
            "bad.jsonl:2: name contains a NUL",
        ),
        # A back-reference: valid JSON, a valid regex, but not one Hyperscan compiles.
        (
            ACME + b'\n{"id": "topic:x", "kind": "TOPIC", "name": "x",'
            b' "rules": [{"regex": "(ab)\\\\1", "weight": 1.0}]}\n',
            "rejected by Hyperscan",
        ),
        (ACME + b"\n" + ACME[:30], "bad.jsonl:2:"),  # truncated: the last line cut short
        (
            b"\xff\xfe" + ACME.decode().encode("utf-16-le") + b"\n",
            "bad.jsonl:1: UTF-16 byte-order mark",
        ),  # UTF-16
    ],
    ids=[
        "duplicate-id",
        "raw-nul",
        "escaped-nul",
        "hyperscan-rejects-regex",
        "truncated",
        "utf-16",
    ],
)
def test_malformed_taxonomy_at_start_names_file_and_line(start_server, tmp_path, content, expected):
    """Each is refused within 15 s, non-zero, with the file and line; nothing
    is served from a taxonomy tagwired could not read whole."""
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(content)
    stderr = start_failing(start_server, taxonomy=f"{STARTER_TAXONOMY},{bad}")
    assert expected in stderr, stderr


@pytest.mark.parametrize(
    "content",
    [
        b"\xef\xbb\xbf" + ACME.replace(b", ", b",\r\n").replace(b",\r\n", b", ") + b"\r\n",
        b"\n\n" + ACME + b"\n\n\n",
        ACME,  # no final newline
        b"\xef\xbb\xbf\r\n" + ACME + b"\r\n\r\n",
    ],
    ids=["bom-crlf", "blank-lines", "no-final-newline", "bom-blank-crlf"],
)
def test_tolerated_taxonomy_forms_start_and_tag(start_server, tmp_path, content):
    overlay = tmp_path / "overlay.jsonl"
    overlay.write_bytes(content)
    server = start_server(taxonomy=f"{STARTER_TAXONOMY},{overlay}")
    found = {
        t.concept_id for t in tag(server, body=b"Acme Widgets opened in Paris.").tagged_article.tags
    }
    assert {"org:acme", "geo:2988507"} <= found, found


def test_empty_overlay_file_starts_with_the_base_taxonomy(start_server, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    server = start_server(taxonomy=f"{STARTER_TAXONOMY},{empty}")
    assert "geo:2988507" in {t.concept_id for t in tag(server).tagged_article.tags}


def test_unreadable_taxonomy_file_is_refused(start_server, tmp_path):
    unreadable = tmp_path / "unreadable.jsonl"
    unreadable.write_bytes(ACME + b"\n")
    unreadable.chmod(0)
    stderr = start_failing(
        start_server,
        prefix=NO_FILE_PERMISSION_OVERRIDE,
        taxonomy=f"{STARTER_TAXONOMY},{unreadable}",
    )
    assert "unreadable.jsonl" in stderr and "ermission denied" in stderr, stderr


def test_unknown_flag_is_refused(start_server):
    start_failing(start_server, no_such_flag=1)


def test_plaintext_on_a_non_loopback_address_is_refused(start_server):
    stderr = start_failing(start_server, listen="0.0.0.0:0")
    assert "allow_insecure_remote" in stderr or "TLS" in stderr, stderr


def test_plaintext_on_a_non_loopback_address_with_allow_insecure_remote(start_server):
    server = start_server(listen="0.0.0.0:0", allow_insecure_remote=True)
    port = server.address.rsplit(":", 1)[1]
    channel = server.new_channel(target=f"127.0.0.1:{port}")
    assert tag(server, channel).tagged_article.tags


def test_listening_reports_real_ports_and_metrics_can_be_disabled(start_server):
    server = start_server(metrics_listen="")
    host, port = server.address.rsplit(":", 1)
    assert host == "127.0.0.1" and int(port) > 0
    assert server.metrics_address == "", server.events_named("listening")
    assert tag(server).tagged_article.tags


def test_size_flags(start_server):
    server = start_server(max_article_bytes=100, max_message_bytes=1 << 20)
    assert tag(server, body=b"Paris. " + b"a" * 93).tagged_article.body_bytes == 100
    with pytest.raises(grpc.RpcError) as raised:
        tag(server, body=b"Paris. " + b"a" * 94)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    reason = dict(raised.value.trailing_metadata())["tagwire-error-reason"]
    assert reason == "ARTICLE_TOO_LARGE"
    with pytest.raises(grpc.RpcError) as raised:
        tag(server, body=b"a" * (2 << 20))
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_second_start_loads_the_compiled_cache(start_server, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()

    def taxonomy_info(server):
        return (
            server.admin()
            .GetTaxonomy(admin_service_pb2.GetTaxonomyRequest(), timeout=RPC_TIMEOUT)
            .taxonomy
        )

    first = start_server(cache_dir=cache)
    cold = taxonomy_info(first)
    assert not cold.loaded_from_cache
    first.stop()
    assert first.process.returncode == 0
    assert any(cache.iterdir()), "nothing written to --cache_dir"

    second = start_server(cache_dir=cache)
    warm = taxonomy_info(second)
    assert warm.loaded_from_cache
    assert warm.version == cold.version and warm.concept_count == cold.concept_count
