"""The Prometheus /metrics endpoint."""

import math
import re
import urllib.request

import grpc
from conftest import RPC_TIMEOUT, wait_until
from tagwire.v1 import article_pb2, tagging_service_pb2

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*')


class Scrape:
    def __init__(self, text):
        self.text = text
        self.samples = []  # (name, labels, value)
        self.types = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            if line.startswith("#"):
                parts = line.split()
                if len(parts) >= 4 and parts[1] == "TYPE":
                    self.types[parts[2]] = parts[3]
                continue
            match = SAMPLE.match(line)
            assert match, f"not a Prometheus sample line: {line!r}"
            name, labels, value = match.groups()
            parsed = dict(LABEL.findall(labels or ""))
            self.samples.append((name, parsed, float(value)))

    def select(self, name, **labels):
        return [
            (found, value)
            for sample, found, value in self.samples
            if sample == name and all(found.get(k) == v for k, v in labels.items())
        ]

    def total(self, name, **labels):
        return sum(v for _, v in self.select(name, **labels))


def scrape(server):
    assert server.metrics_address, "the listening event has no metrics_address"
    with urllib.request.urlopen(f"http://{server.metrics_address}/metrics", timeout=10) as r:
        assert r.status == 200
        content_type = r.headers.get("Content-Type", "")
        assert content_type.startswith("text/plain"), content_type
        return Scrape(r.read().decode())


def tag(server, id, body=b"Leaders met in Paris and Berlin on Monday."):
    return server.tagging().Tag(
        tagging_service_pb2.TagRequest(article=article_pb2.Article(id=id, body=body)),
        timeout=RPC_TIMEOUT,
    )


def test_tagged_and_latency_metrics(server):
    before = scrape(server)
    for i in range(3):
        tag(server, f"m{i}")
    after = scrape(server)
    assert after.types.get("tagwire_articles_tagged_total") == "counter"
    assert (
        after.total("tagwire_articles_tagged_total")
        == before.total("tagwire_articles_tagged_total") + 3
    )

    assert after.types.get("tagwire_tag_latency_seconds") == "histogram"
    buckets = sorted(
        (float(labels["le"]), value)
        for labels, value in after.select("tagwire_tag_latency_seconds_bucket")
    )
    assert buckets and math.isinf(buckets[-1][0]), buckets
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), "histogram buckets are not cumulative"
    count = after.total("tagwire_tag_latency_seconds_count")
    assert counts[-1] == count
    assert count == before.total("tagwire_tag_latency_seconds_count") + 3
    assert after.total("tagwire_tag_latency_seconds_sum") > before.total(
        "tagwire_tag_latency_seconds_sum"
    )


def test_error_metric_by_reason(server):
    name = "tagwire_article_errors_total"
    before = scrape(server).total(name, reason="BODY_NOT_UTF8")
    try:
        tag(server, "bad", body=b"Paris \xff")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    after = scrape(server)
    assert after.total(name, reason="BODY_NOT_UTF8") == before + 1, after.select(name)


def test_active_streams_metric(server):
    assert scrape(server).select("tagwire_active_streams"), "no tagwire_active_streams"
    stream = server.open_stream(timeout=60)
    stream.send(
        tagging_service_pb2.TagStreamRequest(article=article_pb2.Article(id="open", body=b"Paris"))
    )
    stream.recv()
    assert scrape(server).total("tagwire_active_streams") >= 1
    stream.close_send()
    stream.drain()
    wait_until(
        lambda: scrape(server).total("tagwire_active_streams") == 0,
        what="tagwire_active_streams back to 0",
    )


def test_taxonomy_info_metric(server):
    version = server.taxonomy_version()
    info = scrape(server).select("tagwire_taxonomy_info")
    assert [(labels.get("version"), value) for labels, value in info] == [(version, 1.0)], info
