"""Graceful shutdown: SIGTERM mid-stream, SIGINT, and the grace period
enforced on clients that stop reading."""

import signal
import threading
import time

import grpc
from conftest import ResponseStream, wait_for_tagging_to_stall, wait_until
from grpc_health.v1 import health_pb2
from tagwire.v1 import article_pb2, subscription_service_pb2, tagging_service_pb2

BODY = b"NATO defence ministers met in Brussels; Mark Rutte spoke in Paris and Berlin."
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def endless_requests(stop, prefix):
    i = 0
    while not stop.is_set():
        yield tagging_service_pb2.TagStreamRequest(
            article=article_pb2.Article(id=f"{prefix}{i}", body=BODY)
        )
        i += 1


def test_sigterm_mid_stream(start_server):
    grace = 5
    server = start_server(grace_period=f"{grace}s")
    version = server.taxonomy_version()
    subscriber = server.subscribe()
    watch = ResponseStream(
        lambda: server.health().Watch(health_pb2.HealthCheckRequest(service=""), timeout=60)
    )
    assert watch.recv().status == SERVING
    wait_until(lambda: server.stats().active_subscriptions == 1, what="subscription registered")

    stop = threading.Event()
    call = server.tagging().TagStream(endless_requests(stop, "t"), timeout=60)
    responses, signalled = [], None
    try:
        for response in call:
            responses.append(response)
            if len(responses) == 300:
                signalled = time.monotonic()
                server.send_signal(signal.SIGTERM)
        code = grpc.StatusCode.OK
    except grpc.RpcError as error:
        code = error.code()
    finally:
        stop.set()
    assert signalled is not None, f"stream ended after {len(responses)} responses"
    assert code == grpc.StatusCode.UNAVAILABLE, call.details()

    assert server.wait_exit(grace + 10) == 0
    assert time.monotonic() - signalled <= grace + 3, "exit took longer than the grace period"

    # Responses: contiguous from 0, each a valid result.
    assert [r.sequence for r in responses] == list(range(len(responses)))
    for r in responses:
        assert r.id == f"t{r.sequence}"
        assert r.WhichOneof("result") == "tagged_article", r.error
        assert r.tagged_article.taxonomy_version == version

    # Every acknowledged article reached the subscriber before it ended.
    delivered = {r.tagged_article.id for r in subscriber.drain(timeout=10)}
    assert subscriber.code == grpc.StatusCode.UNAVAILABLE, subscriber.details
    missing = [r.id for r in responses if r.id not in delivered]
    assert not missing, (
        f"{len(missing)} acknowledged articles never reached the subscriber, e.g. {missing[:5]}"
    )

    statuses = [r.status for r in watch.drain(timeout=10)]
    assert NOT_SERVING in statuses, f"health Watch saw {statuses} during shutdown"

    shutdown = server.events_named("shutdown")
    assert shutdown and shutdown[0].get("signal") == "SIGTERM", shutdown
    assert server.events_named("stopped"), "no 'stopped' log event"
    names = [e["event"] for e in server.events]
    assert names.index("shutdown") < names.index("stopped")


def test_sigint_on_an_idle_server(start_server):
    server = start_server()
    server.send_signal(signal.SIGINT)
    assert server.wait_exit() == 0
    assert [e.get("signal") for e in server.events_named("shutdown")] == ["SIGINT"]
    assert server.events_named("stopped")


def test_grace_period_bounds_shutdown_with_stuck_clients(start_server, examples):
    """A TagStream client and a subscriber that stopped reading, so flow
    control holds the server: on SIGTERM the server refuses new calls with
    UNAVAILABLE and health says NOT_SERVING while it waits for them, then
    gives up at the end of the grace period and exits 0."""
    grace = 3
    server = start_server(grace_period=f"{grace}s", subscriber_queue=1_000_000)
    stuck_subscriber = server.subscription().Subscribe(
        subscription_service_pb2.SubscribeRequest(), timeout=60
    )
    wait_until(lambda: server.stats().active_subscriptions == 1, what="subscription registered")
    stop = threading.Event()

    def big_articles():
        i = 0
        while not stop.is_set():
            example = examples[i % len(examples)]
            yield tagging_service_pb2.TagStreamRequest(
                article=article_pb2.Article(
                    id=f"s{i}", title=example["title"], body=example["body"]
                )
            )
            i += 1

    stuck_stream = server.tagging().TagStream(big_articles(), timeout=60)  # never read
    wait_for_tagging_to_stall(server)

    after = server.event_count()
    signalled = time.monotonic()
    server.send_signal(signal.SIGTERM)
    server.wait_event("shutdown", timeout=5, after=after)
    fresh = server.new_channel()
    try:
        server.tagging(fresh).Tag(
            tagging_service_pb2.TagRequest(article=article_pb2.Article(id="late", body=BODY)),
            timeout=5,
        )
        refused = grpc.StatusCode.OK
    except grpc.RpcError as error:
        refused = error.code()
    assert server.process.poll() is None, "exited at once although clients were stuck"
    assert refused == grpc.StatusCode.UNAVAILABLE, f"a new Tag call after SIGTERM got {refused}"
    health = server.health(fresh).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert health.status == NOT_SERVING

    assert server.wait_exit(grace + 10) == 0
    assert time.monotonic() - signalled <= grace + 3, "exit took longer than the grace period"
    assert server.events_named("stopped")
    stop.set()
    stuck_stream.cancel()
    stuck_subscriber.cancel()


def test_open_health_watch_does_not_hold_shutdown(start_server):
    """Health watchers see NOT_SERVING and end with the rest: an idle server
    with only a health Watch open exits promptly, not at the end of the grace
    period (every rolling restart would otherwise take the full grace)."""
    grace = 10
    server = start_server(grace_period=f"{grace}s")
    watch = ResponseStream(
        lambda: server.health().Watch(health_pb2.HealthCheckRequest(service=""), timeout=60)
    )
    assert watch.recv().status == SERVING
    signalled = time.monotonic()
    server.send_signal(signal.SIGTERM)
    assert server.wait_exit(grace + 10) == 0
    elapsed = time.monotonic() - signalled
    assert NOT_SERVING in [r.status for r in watch.drain(timeout=10)]
    assert elapsed < 3, f"exit took {elapsed:.1f}s with only a health Watch open"
