"""Stream bookkeeping on a tagwired with --max_streams=2 --max_in_flight=4:
the server-wide stream cap, cancellation, deadlines, and backpressure on a
client that does not read."""

import subprocess
import sys
import threading
import time

import grpc
import pytest
from conftest import CLIENT_SOURCE, RPC_TIMEOUT, StreamEnded, wait_for_tagging_to_stall, wait_until
from tagwire.v1 import (
    article_pb2,
    subscription_service_pb2,
    tagging_service_pb2,
    tagging_service_pb2_grpc,
)

BODY = b"Leaders met in Paris and Berlin on Monday."


def request(id, body=BODY):
    return tagging_service_pb2.TagStreamRequest(article=article_pb2.Article(id=id, body=body))


@pytest.fixture(scope="module")
def server(start_module_server):
    return start_module_server(max_streams=2, max_in_flight=4)


@pytest.fixture(autouse=True)
def no_streams_open(server):
    """Every test starts and ends with no stream open on the server."""
    wait_until(lambda: server.stats().active_tag_streams == 0, what="no open TagStream")
    yield
    wait_until(lambda: server.stats().active_tag_streams == 0, what="no open TagStream")
    wait_until(lambda: server.stats().active_subscriptions == 0, what="no open Subscribe")


def open_established(server, id):
    """Opens a TagStream and waits for the answer to its first article, so
    the server has certainly accepted it."""
    stream = server.open_stream(timeout=60)
    stream.send(request(id))
    response = stream.recv()
    assert response.id == id and response.WhichOneof("result") == "tagged_article"
    return stream


def close(stream):
    stream.close_send()
    assert stream.drain() == []
    assert stream.code == grpc.StatusCode.OK, stream.details


def test_stream_cap(server):
    first = open_established(server, "first")
    second = open_established(server, "second")
    assert server.stats().active_tag_streams == 2

    third = server.open_stream(timeout=30)
    third.send(request("third"))
    with pytest.raises(StreamEnded) as ended:
        third.recv()
    assert ended.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED, ended.value

    # Subscribe calls count towards the same cap.
    subscription = server.subscription().Subscribe(
        subscription_service_pb2.SubscribeRequest(), timeout=30
    )
    with pytest.raises(grpc.RpcError) as raised:
        next(subscription)
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED

    # Unary Tag does not count towards the stream cap; rejected streams are not counted.
    server.tagging().Tag(
        tagging_service_pb2.TagRequest(article=article_pb2.Article(id="unary", body=BODY)),
        timeout=RPC_TIMEOUT,
    )
    stats = server.stats()
    assert (stats.active_tag_streams, stats.active_subscriptions) == (2, 0)

    # The open streams still work; closing one frees a slot.
    second.send(request("second-2"))
    assert second.recv().id == "second-2"
    close(first)
    wait_until(lambda: server.stats().active_tag_streams == 1, what="one stream left")
    fourth = open_established(server, "fourth")
    close(second)
    close(fourth)


def test_cancelled_stream_is_released(server):
    stream = open_established(server, "c0")
    for i in range(1, 200):
        stream.send(request(f"c{i}"))
    for i in range(1, 20):
        assert stream.recv().sequence == i
    assert server.stats().active_tag_streams == 1
    stream.cancel()
    code, _ = stream.finish()
    assert code == grpc.StatusCode.CANCELLED
    wait_until(
        lambda: server.stats().active_tag_streams == 0,
        timeout=10,
        what="active_tag_streams back to 0 after cancel",
    )
    # Both slots are free again.
    close(open_established(server, "after-1"))
    close(open_established(server, "after-2"))


def test_cancelled_subscription_is_released(server):
    subscription = server.subscription().Subscribe(
        subscription_service_pb2.SubscribeRequest(), timeout=60
    )
    wait_until(lambda: server.stats().active_subscriptions == 1, what="subscription counted")
    subscription.cancel()
    wait_until(
        lambda: server.stats().active_subscriptions == 0,
        timeout=10,
        what="active_subscriptions back to 0 after cancel",
    )


def test_deadline_ends_a_stream_that_keeps_sending(server):
    stop = threading.Event()

    def forever():
        i = 0
        while not stop.is_set():
            yield request(f"d{i}")
            i += 1

    call = server.tagging().TagStream(forever(), timeout=0.5)
    start = time.monotonic()
    received = 0
    with pytest.raises(grpc.RpcError) as raised:
        for response in call:
            assert response.sequence == received
            received += 1
    stop.set()
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - start < 10
    assert received > 0, "nothing was answered within the deadline"
    wait_until(
        lambda: server.stats().active_tag_streams == 0,
        timeout=10,
        what="active_tag_streams back to 0 after the deadline",
    )


def test_unread_stream_is_backpressured(server, examples):
    """A client that sends without reading is slowed by flow control: the
    server stops taking articles instead of buffering all of them; once the
    client reads, every article is answered in order."""
    count = 20_000
    sent = 0

    def requests():
        nonlocal sent
        for i in range(count):
            example = examples[i % len(examples)]
            yield tagging_service_pb2.TagStreamRequest(
                article=article_pb2.Article(
                    id=f"b{i}", title=example["title"], body=example["body"]
                )
            )
            sent = i + 1

    before = server.stats().articles_tagged
    call = server.tagging().TagStream(requests(), timeout=120)

    # Without reading, wait until the server has stopped tagging.
    stalled = wait_for_tagging_to_stall(server) - before
    assert stalled < count / 2, f"server tagged {stalled} of {count} unread articles"
    assert sent < count, "the client could send everything although it read nothing"

    received = 0
    for response in call:
        assert response.sequence == received and response.id == f"b{received}"
        received += 1
    assert received == count
    assert call.code() == grpc.StatusCode.OK


def test_unary_calls_in_flight_are_capped(start_server):
    """A flood of Tag calls beyond --max_unary_in_flight is refused with
    RESOURCE_EXHAUSTED instead of queueing without bound; the rest succeed."""
    flooded = start_server(max_unary_in_flight=2, workers=1)
    body = b"Leaders met in Paris and Berlin on Monday. " * 14000  # ~600 KB, under the limit
    stub = flooded.tagging()
    futures = [
        stub.Tag.future(
            tagging_service_pb2.TagRequest(article=article_pb2.Article(id=f"u{i}", body=body)),
            timeout=RPC_TIMEOUT,
        )
        for i in range(48)
    ]
    ok, refused = 0, 0
    for future in futures:
        try:
            future.result()
            ok += 1
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
            assert "too many Tag calls in flight" in error.details()
            refused += 1
    assert ok >= 2 and refused >= 1, (ok, refused)
    # Once the flood is answered, calls are accepted again.
    flooded.tagging().Tag(
        tagging_service_pb2.TagRequest(article=article_pb2.Article(id="after", body=BODY)),
        timeout=RPC_TIMEOUT,
    )


def test_64_concurrent_streams(start_server):
    """64 TagStreams at once, 100 articles each, on their own channels: every
    stream gets all of its answers in its own order, and when they close the
    server's active stream count is back to 0."""
    server = start_server()
    streams, per_stream = 64, 100
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            channel = server.new_channel()
            stub = tagging_service_pb2_grpc.TaggingServiceStub(channel)
            requests = (
                tagging_service_pb2.TagStreamRequest(
                    article=article_pb2.Article(
                        id=f"s{n}-{i}", body=b"Leaders met in Paris and Berlin on Monday."
                    )
                )
                for i in range(per_stream)
            )
            responses = list(stub.TagStream(requests, timeout=120))
            assert all(r.HasField("tagged_article") for r in responses)
            results[n] = [r.id for r in responses]
        except BaseException as error:  # reported from the main thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(streams)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert not errors, errors[:3]
    assert sorted(results) == list(range(streams))
    for n, ids in results.items():
        assert ids == [f"s{n}-{i}" for i in range(per_stream)], f"stream {n} out of order"
    wait_until(lambda: server.stats().active_tag_streams == 0, what="every stream closed")


def test_killed_client_frees_its_stream(start_server):
    """A client process killed (SIGKILL) in the middle of a TagStream: the
    server notices the closed connection, and its active stream count returns
    to 0 (long before the keepalive would have to find it)."""
    server = start_server()
    client = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_CLIENT,
            server.address,
            str(CLIENT_SOURCE),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert client.stdout.readline().strip() == b"streaming"
        wait_until(lambda: server.stats().active_tag_streams == 1, what="the client's stream open")
        client.kill()
        client.wait(10)
        wait_until(
            lambda: server.stats().active_tag_streams == 0, timeout=15, what="the stream freed"
        )
    finally:
        client.kill()
        client.wait(10)
        client.stdout.close()
    # And the server serves on.
    server.tagging().Tag(
        tagging_service_pb2.TagRequest(article=article_pb2.Article(id="after", body=b"Paris")),
        timeout=RPC_TIMEOUT,
    )


# A client that streams articles for ever (sending, never closing), until it is killed.
KILLED_CLIENT = """
import sys, time
sys.path.insert(0, sys.argv[2])
import grpc
from tagwire.v1 import article_pb2, tagging_service_pb2, tagging_service_pb2_grpc

def requests():
    i = 0
    while True:
        i += 1
        yield tagging_service_pb2.TagStreamRequest(
            article=article_pb2.Article(id=f"k{i}", body=b"Leaders met in Paris."))
        time.sleep(0.01)

channel = grpc.insecure_channel(sys.argv[1])
call = tagging_service_pb2_grpc.TaggingServiceStub(channel).TagStream(requests())
print("streaming", flush=True)
for _ in call:
    pass
"""
