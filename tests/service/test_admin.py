"""AdminService.GetTaxonomy and GetServerStats on a tagwired with
--workers=3."""

import json
import os

import pytest
from conftest import RPC_TIMEOUT, STARTER_TAXONOMY
from tagwire.v1 import admin_service_pb2, article_pb2, tagging_service_pb2


@pytest.fixture(scope="module")
def server(start_module_server):
    return start_module_server(workers=3)


def test_get_taxonomy_describes_the_starter_taxonomy(server):
    info = (
        server.admin()
        .GetTaxonomy(admin_service_pb2.GetTaxonomyRequest(), timeout=RPC_TIMEOUT)
        .taxonomy
    )
    concepts = [
        json.loads(line) for line in STARTER_TAXONOMY.read_text().splitlines() if line.strip()
    ]
    kinds = {}
    for concept in concepts:
        kinds[concept["kind"]] = kinds.get(concept["kind"], 0) + 1
    assert info.concept_count == len(concepts)
    assert dict(info.concepts_by_kind) == kinds
    assert [os.path.realpath(f) for f in info.source_files] == [str(STARTER_TAXONOMY.resolve())]
    assert info.literal_count > 0 and info.database_bytes > 0
    assert info.regex_count == sum(
        1 for c in concepts for rule in c.get("rules", []) if "regex" in rule
    )
    assert info.loaded_time.seconds > 0
    assert server.stats().taxonomy_version == info.version


def test_server_stats_count_articles_and_bytes(server):
    before = server.stats()
    title, body = b"NATO", b"Leaders met in Paris and Berlin on Monday."
    server.tagging().Tag(
        tagging_service_pb2.TagRequest(article=article_pb2.Article(id="s", title=title, body=body)),
        timeout=RPC_TIMEOUT,
    )
    after = server.stats()
    assert after.worker_threads == 3
    assert after.articles_tagged == before.articles_tagged + 1
    assert after.bytes_received == before.bytes_received + len(title) + len(body)
    assert after.uptime.ToTimedelta() >= before.uptime.ToTimedelta()
    assert (after.active_tag_streams, after.active_subscriptions) == (0, 0)
    assert after.reloads == 0 and after.failed_reloads == 0
