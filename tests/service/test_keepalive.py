"""Keepalive abuse: a client that pings far more often than the server
allows (tagwired accepts a ping without data every 10 s at most) has its
connection closed with GOAWAY (ENHANCE_YOUR_CALM, "too_many_pings"), while a
well-behaved client on the same server keeps its connection and is served.
"""

from __future__ import annotations

import threading
import time

import grpc
from conftest import RPC_TIMEOUT
from grpc_health.v1 import health_pb2
from tagwire.v1 import article_pb2, tagging_service_pb2

ABUSIVE = [
    ("grpc.keepalive_time_ms", 200),
    ("grpc.keepalive_timeout_ms", 1000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
]


def watch_states(channel) -> tuple[list, threading.Lock]:
    states: list = []
    lock = threading.Lock()

    def record(state):
        with lock:
            states.append(state)

    channel.subscribe(record, try_to_connect=True)
    return states, lock


def test_a_client_that_pings_too_often_is_disconnected(start_server):
    server = start_server()
    abusive = server.new_channel(options=ABUSIVE)
    polite = server.new_channel()
    for channel in (abusive, polite):
        grpc.channel_ready_future(channel).result(timeout=RPC_TIMEOUT)
    abusive_states, abusive_lock = watch_states(abusive)
    polite_states, polite_lock = watch_states(polite)

    # Idle, pinging every 200 ms: the server's ping strikes run out quickly.
    # (Seen with GRPC_TRACE=http: "GOAWAY ... Error code: 11; too_many_pings".)
    def left_ready() -> bool:
        with abusive_lock:
            return any(s != grpc.ChannelConnectivity.READY for s in abusive_states)

    deadline = time.monotonic() + 15
    while not left_ready() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left_ready(), f"the abusive connection was never closed: {abusive_states}"
    with polite_lock:
        assert all(s == grpc.ChannelConnectivity.READY for s in polite_states), polite_states

    # The server is unaffected: the polite client is served on its connection.
    health = server.health(polite).Check(health_pb2.HealthCheckRequest(), timeout=RPC_TIMEOUT)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    server.tagging(polite).Tag(
        tagging_service_pb2.TagRequest(article=article_pb2.Article(id="k", body=b"Paris")),
        timeout=RPC_TIMEOUT,
    )
