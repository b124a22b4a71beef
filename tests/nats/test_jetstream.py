"""tagwired publishing to a real NATS JetStream broker, and consuming from it
(ingest mode): the delivery guarantee under faults. Each test says what was
sent, what arrived, and what was lost (it must be nothing).

Run: .venv/bin/python -m pytest tests/nats --tagwired build/service/tagwired
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from conftest import RPC_TIMEOUT, wait_until
from grpc_health.v1 import health_pb2
from nats_broker import Broker, StoredMessage
from tagwire.v1 import article_pb2, error_pb2, tagging_pb2, tagging_service_pb2

TAGGED = "tagwire.tagged"
DEAD = "tagwire.dead"
INGEST = "tagwire.articles"

BODIES = [
    "NATO leaders met in Brussels on Tuesday to discuss support for Ukraine.",
    "The European Central Bank left interest rates unchanged, Christine Lagarde said in Frankfurt.",
    "Floods in Pakistan displaced thousands as the United Nations appealed for aid.",
    "Apple and Microsoft shares rose on Wall Street after strong quarterly earnings.",
]


def article(i: int, source: str = "test") -> article_pb2.Article:
    return article_pb2.Article(
        source=source,
        id=f"a{i}",
        version=1,
        title=f"Story {i}".encode(),
        body=BODIES[i % len(BODIES)].encode(),
    )


def stream_requests(articles):
    for a in articles:
        yield tagging_service_pb2.TagStreamRequest(article=a)


@pytest.fixture(name="broker")
def broker_fixture(tmp_path: Path) -> Iterator[Broker]:
    """A broker for one test, not yet started; killed at the end."""
    store = tmp_path / "jetstream"
    store.mkdir()
    broker = Broker(store)
    yield broker
    broker.kill()


def nats_flags(broker: Broker, **extra) -> dict:
    return {"nats_url": broker.url, **extra}


def ids_of(messages: list[StoredMessage]) -> list[str]:
    return [m.msg_id for m in messages]


def assert_exactly_once(stored: list[StoredMessage], expected_ids: set[str]) -> None:
    counts = Counter(ids_of(stored))
    duplicated = {i: n for i, n in counts.items() if n > 1}
    missing = expected_ids - counts.keys()
    unexpected = counts.keys() - expected_ids
    print(
        f"sent {len(expected_ids)}, stored {len(stored)} ({len(counts)} unique), "
        f"lost {len(missing)}, duplicated {len(duplicated)}"
    )
    assert not missing, f"lost {len(missing)} articles, e.g. {sorted(missing)[:5]}"
    assert not duplicated, f"stored twice: {dict(list(duplicated.items())[:5])}"
    assert not unexpected, f"stored but never sent: {sorted(unexpected)[:5]}"


def health_status(server, service: str = "") -> int:
    request = health_pb2.HealthCheckRequest(service=service)
    return server.health().Check(request, timeout=RPC_TIMEOUT).status


def healthz(server) -> int:
    """The HTTP status of /healthz: 200 serving, 503 not."""
    try:
        with urllib.request.urlopen(f"http://{server.metrics_address}/healthz", timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code


def metrics_text(server) -> str:
    with urllib.request.urlopen(f"http://{server.metrics_address}/metrics", timeout=10) as r:
        return r.read().decode()


def metric(server, name: str) -> int:
    """The value of one sample (name with its labels) on /metrics."""
    for line in metrics_text(server).splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[-1]))
    raise AssertionError(f"{name} not on /metrics")


# ---------------------------------------------------------------------------
# Publishing


def test_results_and_dead_letters_are_stored_with_ids_and_headers(start_server, broker):
    broker.start()
    server = start_server(**nats_flags(broker))

    # Unary: the answer comes after the PubAck, so the message is there now.
    response = server.tagging().Tag(
        tagging_service_pb2.TagRequest(article=article(0)), timeout=RPC_TIMEOUT
    )
    stored = broker.stored(TAGGED)
    assert ids_of(stored) == ["test:a0:1"]
    on_broker = tagging_pb2.TaggedArticle.FromString(stored[0].data)
    assert on_broker == response.tagged_article
    headers = stored[0].headers
    assert headers["Content-Type"] == "application/protobuf"
    assert "ORGANIZATION" in headers["Tagwire-Kinds"].split(","), headers
    assert headers["Tagwire-Taxonomy-Version"] == response.tagged_article.taxonomy_version
    top = [t.iptc_code or t.concept_id for t in response.tagged_article.topics[:3]]
    assert headers.get("Tagwire-Topics", "") == ",".join(top), headers

    # A stream with two bad articles: each is answered with its error and
    # lands on the dead-letter subject with the reason; the rest are stored.
    articles = [article(i) for i in range(1, 41)]
    articles[10].body = b"bad \xff utf-8"
    articles[20].body = b""
    articles[20].title = b""
    responses = list(server.tagging().TagStream(stream_requests(articles), timeout=60))
    assert [r.id for r in responses] == [a.id for a in articles]
    errors = {r.id: r.error.reason for r in responses if r.HasField("error")}
    assert errors == {
        "a11": error_pb2.ERROR_REASON_BODY_NOT_UTF8,
        "a21": error_pb2.ERROR_REASON_EMPTY_BODY,
    }
    assert_exactly_once(
        broker.stored(TAGGED), {f"test:a{i}:1" for i in range(41) if i not in (11, 21)}
    )
    dead = broker.stored(DEAD)
    assert sorted(ids_of(dead)) == ["dead:test:a11:1", "dead:test:a21:1"]
    for message in dead:
        letter = error_pb2.DeadLetter.FromString(message.data)
        assert letter.error.reason == errors[letter.id]
        assert message.headers["Tagwire-Error-Reason"] == error_pb2.ErrorReason.Name(
            letter.error.reason
        )
        assert letter.article == articles[int(letter.id[1:]) - 1]

    # Sent again (a client retry): answered again, stored once.
    server.tagging().Tag(tagging_service_pb2.TagRequest(article=article(0)), timeout=RPC_TIMEOUT)
    assert ids_of(broker.stored(TAGGED)).count("test:a0:1") == 1
    # Sent again with another body: a conflict, not a silent duplicate. The
    # first content stays the stored result; the second is a dead letter.
    changed = article(0)
    changed.body = b"A different story about Berlin."
    with pytest.raises(grpc.RpcError) as raised:
        server.tagging().Tag(tagging_service_pb2.TagRequest(article=changed), timeout=RPC_TIMEOUT)
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS
    stored = [m for m in broker.stored(TAGGED) if m.msg_id == "test:a0:1"]
    assert len(stored) == 1 and tagging_pb2.TaggedArticle.FromString(stored[0].data) == on_broker
    conflict = [m for m in broker.stored(DEAD) if m.msg_id == "dead:test:a0:1"]
    assert len(conflict) == 1
    letter = error_pb2.DeadLetter.FromString(conflict[0].data)
    assert letter.error.reason == error_pb2.ERROR_REASON_CONFLICT and letter.article == changed

    text = metrics_text(server)
    assert 'tagwire_nats_published_total{outcome="duplicate"} 1' in text
    assert "tagwire_nats_dead_letters_total 3" in text
    assert "tagwire_nats_connected 1" in text


def test_json_payloads_and_an_existing_stream_gets_the_missing_subject(start_server, broker):
    broker.start()
    # An operator made the stream for the results only.
    broker.add_stream("TAGWIRE_TAGGED", [TAGGED])
    server = start_server(**nats_flags(broker, nats_json=True))
    server.tagging().Tag(tagging_service_pb2.TagRequest(article=article(1)), timeout=RPC_TIMEOUT)
    bad = article(2)
    bad.body = b"\xc0\xaf overlong"
    with pytest.raises(grpc.RpcError) as raised:
        server.tagging().Tag(tagging_service_pb2.TagRequest(article=bad), timeout=RPC_TIMEOUT)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    assert sorted(broker.stream_info("TAGWIRE_TAGGED").config.subjects) == [DEAD, TAGGED]
    (tagged,) = broker.stored(TAGGED)
    assert tagged.headers["Content-Type"] == "application/json"
    assert json.loads(tagged.data)["id"] == "a1"
    (dead,) = broker.stored(DEAD)
    assert json.loads(dead.data)["error"]["reason"] == "ERROR_REASON_BODY_NOT_UTF8"


def test_broker_down_at_start_then_up(start_server, broker):
    server = start_server(wait=False, **nats_flags(broker))
    server.wait_event("listening")
    server.address = server.events_named("listening")[0]["grpc_address"]
    server.metrics_address = server.events_named("listening")[0]["metrics_address"]
    server.wait_event("taxonomy_loaded")
    # Up, but not serving: health says so and new intake is refused. It is
    # alive, though: a liveness probe must not restart it over the broker.
    assert health_status(server) == health_pb2.HealthCheckResponse.NOT_SERVING
    assert health_status(server, "liveness") == health_pb2.HealthCheckResponse.SERVING
    assert healthz(server) == 503
    with pytest.raises(grpc.RpcError) as raised:
        server.tagging().Tag(tagging_service_pb2.TagRequest(article=article(0)), timeout=5)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "broker" in raised.value.details()
    with pytest.raises(grpc.RpcError) as raised:
        list(server.tagging().TagStream(stream_requests([article(1)]), timeout=5))
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert not server.events_named("serving")

    broker.start()  # recovers by itself
    server.wait_event("serving", timeout=30)
    assert health_status(server) == health_pb2.HealthCheckResponse.SERVING
    assert healthz(server) == 200
    server.tagging().Tag(tagging_service_pb2.TagRequest(article=article(2)), timeout=RPC_TIMEOUT)
    assert ids_of(broker.stored(TAGGED)) == ["test:a2:1"]  # the refused ones were never stored


def test_broker_kill9_and_restart_mid_stream(start_server, broker):
    """5,000 articles on one stream; the broker is killed (SIGKILL) after 1,500
    answers and restarted on the same port and store. Intake pauses, then
    resumes: every article is answered OK and stored exactly once."""
    broker.start()
    server = start_server(**nats_flags(broker))
    total = 5000
    articles = [article(i) for i in range(total)]
    responses = []
    killed = threading.Event()

    def restart_broker():
        wait_until(lambda: len(responses) >= 1500, timeout=60, what="1,500 answers")
        broker.kill()
        killed.set()
        time.sleep(1.5)  # articles keep arriving while the broker is away
        broker.start()

    restarter = threading.Thread(target=restart_broker)
    restarter.start()
    try:
        for response in server.tagging().TagStream(stream_requests(articles), timeout=180):
            responses.append(response)
    finally:
        restarter.join()
    assert killed.is_set()
    failed = [(r.id, r.error.message) for r in responses if r.HasField("error")]
    assert not failed, failed[:5]
    assert [r.id for r in responses] == [a.id for a in articles]
    assert server.events_named("nats_disconnected"), "the broker outage was never noticed"
    assert_exactly_once(broker.stored(TAGGED), {f"test:a{i}:1" for i in range(total)})


def stop_mid_stream_then_resend(start_server, broker, source: str, stop):
    """Streams 3,000 articles to a tagwired and calls stop(server) after 800
    answers. Checks that the call fails UNAVAILABLE and that every article
    answered OK is on the broker; then resends everything without an OK (and,
    to be sure, the last 100 OKs) to a new tagwired, and checks that each
    article is stored exactly once. Returns the stopped server."""
    broker.start()
    first = start_server(**nats_flags(broker))
    total = 3000
    articles = [article(i, source=source) for i in range(total)]
    answered_ok: list[str] = []
    call = first.tagging().TagStream(stream_requests(articles), timeout=120)

    def stop_after_800():
        wait_until(lambda: len(answered_ok) >= 800, timeout=60, what="800 answers")
        stop(first)

    stopper = threading.Thread(target=stop_after_800)
    stopper.start()
    try:
        with pytest.raises(grpc.RpcError) as raised:
            for response in call:
                if response.HasField("tagged_article"):
                    answered_ok.append(response.id)
    finally:
        stopper.join()
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE, raised.value
    assert len(answered_ok) < total, "the stream finished before the stop; nothing was tested"
    stored = set(ids_of(broker.stored(TAGGED)))
    missing = {f"{source}:{i}:1" for i in answered_ok} - stored
    assert not missing, f"answered OK but not stored: {sorted(missing)[:5]}"

    second = start_server(**nats_flags(broker))
    done = set(answered_ok[:-100])
    resend = [a for a in articles if a.id not in done]
    responses = list(second.tagging().TagStream(stream_requests(resend), timeout=120))
    assert all(r.HasField("tagged_article") for r in responses)
    assert_exactly_once(broker.stored(TAGGED), {f"{source}:a{i}:1" for i in range(total)})
    return first


def test_sigterm_mid_stream_loses_nothing_acknowledged(start_server, broker):
    """SIGTERM while a stream is busy: tagwired drains and exits 0; nothing
    answered OK is missing, and a resend stores each article once."""

    stopped = stop_mid_stream_then_resend(
        start_server, broker, "term", lambda server: server.send_signal(signal.SIGTERM)
    )
    assert stopped.wait_exit() == 0


def test_sigkill_mid_stream_loses_nothing_acknowledged(start_server, broker):
    """tagwired killed (SIGKILL) while a stream is busy: nothing answered OK
    is missing, and a resend stores each article once."""
    stop_mid_stream_then_resend(start_server, broker, "kill", lambda server: server.process.kill())


def test_fire_and_forget_mode_answers_before_the_pub_ack(start_server, broker):
    broker.start()
    server = start_server(**nats_flags(broker, nats_ack="none"))
    responses = list(
        server.tagging().TagStream(stream_requests([article(i) for i in range(200)]), timeout=60)
    )
    assert all(r.HasField("tagged_article") for r in responses)
    # Stored soon after, not necessarily before the answers.
    wait_until(lambda: len(broker.stored(TAGGED)) == 200, timeout=30, what="200 stored")
    assert_exactly_once(broker.stored(TAGGED), {f"test:a{i}:1" for i in range(200)})


def sanitized(binary: str) -> bool:
    """Whether `binary` is an AddressSanitizer build (scripts/sanitize)."""
    linked = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    return "libasan" in linked


def test_unread_subscriber_memory_plateaus_while_publishing(start_server, broker, tagwired_binary):
    """A subscriber that never reads while 20,000 articles are tagged and
    published: it is dropped, and the server's memory stops growing."""
    if sanitized(tagwired_binary):
        pytest.skip(
            "ASan's quarantine grows RSS by design; memory is measured on the release build"
        )
    broker.start()
    server = start_server(**nats_flags(broker), subscriber_queue=64)
    from tagwire.v1 import subscription_service_pb2

    slow = server.subscription().Subscribe(subscription_service_pb2.SubscribeRequest(), timeout=300)
    wait_until(lambda: server.stats().active_subscriptions == 1, what="subscriber registered")

    def rss_kib() -> int:
        with open(f"/proc/{server.process.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

    samples = []
    for batch in range(4):
        articles = [article(i, source=f"mem{batch}") for i in range(5000)]
        responses = list(server.tagging().TagStream(stream_requests(articles), timeout=120))
        assert all(r.HasField("tagged_article") for r in responses)
        samples.append(rss_kib())
    print(f"RSS after each 5,000 articles (KiB): {samples}")
    assert server.stats().slow_subscribers_dropped == 1
    # After the first batch (warm-up: arenas, caches), at most 16 MiB more.
    assert samples[-1] - samples[0] < 16 * 1024, samples
    slow.cancel()


# ---------------------------------------------------------------------------
# Ingest (scale-out)


def ingest_flags(broker: Broker, **extra) -> dict:
    return nats_flags(broker, ingest_subject=INGEST, ingest_ack_wait="3s", **extra)


def test_ingest_tags_dead_letters_and_acknowledges(start_server, broker):
    broker.start()
    server = start_server(**ingest_flags(broker))
    server.wait_event("nats_ingest_started")
    good = [article(i, source="in") for i in range(50)]
    bad = article(99, source="in")
    bad.body = b"\xed\xa0\x80 surrogate"
    payloads = [(f"{a.source}:{a.id}", a.SerializeToString(), {}) for a in [*good, bad]]
    payloads.append(("junk", b"\xff\xfe not a protobuf article", {}))
    json_article = article(100, source="in")
    from google.protobuf import json_format

    payloads.append(
        (
            "json",
            json_format.MessageToJson(json_article).encode(),
            {"Content-Type": "application/json"},
        )
    )
    assert broker.publish_articles(INGEST, payloads) == 53

    expected = {f"in:a{i}:1" for i in [*range(50), 100]}
    wait_until(lambda: len(broker.stored(TAGGED)) >= 51, timeout=60, what="51 results stored")
    assert_exactly_once(broker.stored(TAGGED), expected)
    wait_until(lambda: len(broker.stored(DEAD)) >= 2, timeout=30, what="2 dead letters")
    reasons = sorted(
        error_pb2.ErrorReason.Name(error_pb2.DeadLetter.FromString(m.data).error.reason)
        for m in broker.stored(DEAD)
    )
    assert reasons == ["ERROR_REASON_BODY_NOT_UTF8", "ERROR_REASON_UNDECODABLE"]
    # Every input message was acknowledged, so the work queue is empty.
    wait_until(
        lambda: broker.stream_info("TAGWIRE_ARTICLES").state.messages == 0,
        timeout=30,
        what="the work queue drained",
    )


def test_three_replicas_share_the_work_and_one_is_killed(start_server, broker):
    """Three tagwired on one work queue; 20,000 articles; one replica is
    killed (SIGKILL) midway. Its unacknowledged articles are delivered again
    to the others: every article is published exactly once."""
    broker.start()
    # The queue is full before the replicas start, so each always holds
    # fetched, unacknowledged articles, and the kill always catches some.
    broker.add_stream("TAGWIRE_ARTICLES", [INGEST], retention="workqueue")
    total = 20000
    payloads = ((f"r:a{i}", article(i, source="r").SerializeToString(), {}) for i in range(total))
    assert broker.publish_articles(INGEST, payloads) == total
    replicas = [start_server(**ingest_flags(broker), workers=1) for _ in range(3)]

    def stored_count() -> int:
        return broker.stream_info("TAGWIRE_TAGGED").state.messages

    wait_until(lambda: stored_count() >= total // 3, timeout=120, what="a third published")
    victim = replicas[0]
    victim.process.kill()
    victim.process.wait(10)
    wait_until(lambda: stored_count() >= total, timeout=180, what="all 20,000 published")
    time.sleep(1)  # anything extra would show up now
    assert_exactly_once(broker.stored(TAGGED), {f"r:a{i}:1" for i in range(total)})
    wait_until(
        lambda: broker.stream_info("TAGWIRE_ARTICLES").state.messages == 0,
        timeout=30,
        what="the work queue drained",
    )
    survivors = [metric(r, "tagwire_articles_tagged_total") for r in replicas[1:]]
    redelivered = sum(
        metric(r, 'tagwire_ingest_messages_total{outcome="redelivered"}') for r in replicas[1:]
    )
    print(f"tagged by the surviving replicas: {survivors}; redelivered to them: {redelivered}")
    assert all(n > 0 for n in survivors), "the work was not shared"
    assert redelivered > 0, "the killed replica held no articles: the kill tested nothing"
