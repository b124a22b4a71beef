"""The Python client (clients/python, package `tagwire`) against a real
tagwired: tagging, streams, errors, subscriptions, admin calls, TLS, tokens.

The end-to-end scenario at the top is the one the Go client's tests run too
(clients/go/tagwire/e2e_test.go): keep the two the same.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import threading
import time

import grpc
import pytest
import trustme
from conftest import RPC_TIMEOUT, wait_until

import tagwire
import tagwire.aio

# ---------------------------------------------------------------------------
# The shared end-to-end scenario

E2E_COUNT = 1000
E2E_BAD = 500  # the article whose body is not UTF-8
E2E_BODIES = [
    ("NATO ministers met in Kyiv on Tuesday.", {"org:nato", "geo:703448"}),
    ("The European Central Bank kept rates unchanged in Frankfurt.", {"org:ecb", "geo:2925533"}),
    (
        "Emmanuel Macron spoke in Paris about Japan.",
        {"per:emmanuel-macron", "geo:2988507", "geo:1861060"},
    ),
]


def e2e_articles():
    for i in range(E2E_COUNT):
        body = b"caf\xe9 \xff" if i == E2E_BAD else E2E_BODIES[i % 3][0]
        yield tagwire.Article(body=body, id=f"e2e-{i}", source="e2e")


def check_e2e_results(results: list[tagwire.Result]) -> None:
    assert len(results) == E2E_COUNT
    for i, result in enumerate(results):
        assert (result.sequence, result.id, result.source) == (i, f"e2e-{i}", "e2e")
        if i == E2E_BAD:
            assert isinstance(result, tagwire.ArticleError)
            assert result.reason == tagwire.ErrorReason.BODY_NOT_UTF8
            assert result.code == grpc.StatusCode.INVALID_ARGUMENT
            assert not result.ok
        else:
            assert isinstance(result, tagwire.TaggedArticle), result
            want = E2E_BODIES[i % 3][1]
            assert set(result.concept_ids) == want, f"article {i}"


def check_e2e_subscription(received: list[tagwire.TaggedArticle]) -> None:
    want = [f"e2e-{i}" for i in range(E2E_COUNT) if i != E2E_BAD]
    assert [t.id for t in received] == want


def test_e2e_stream_and_subscription(server):
    with tagwire.Client(server.address) as client:
        received: list[tagwire.TaggedArticle] = []
        before = client.stats().active_subscriptions
        subscription = client.subscribe(timeout=120)

        def receive():
            for tagged in subscription:
                if tagged.source == "e2e":
                    received.append(tagged)
                if len(received) == E2E_COUNT - 1:
                    return

        reader = threading.Thread(target=receive, daemon=True)
        reader.start()
        wait_until(lambda: client.stats().active_subscriptions > before, what="subscription")

        check_e2e_results(list(client.tag_many(e2e_articles())))

        reader.join(RPC_TIMEOUT)
        subscription.cancel()
        check_e2e_subscription(received)


def test_e2e_stream_and_subscription_asyncio(server):
    async def scenario():
        async with tagwire.aio.Client(server.address) as client:
            received: list[tagwire.TaggedArticle] = []
            before = (await client.stats()).active_subscriptions
            subscription = client.subscribe(timeout=120)

            async def receive():
                async for tagged in subscription:
                    if tagged.source == "e2e":
                        received.append(tagged)
                    if len(received) == E2E_COUNT - 1:
                        return

            reader = asyncio.create_task(receive())
            for _ in range(400):
                if (await client.stats()).active_subscriptions > before:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the subscription never reached the server")

            results = [r async for r in client.tag_many(e2e_articles())]
            await asyncio.wait_for(reader, RPC_TIMEOUT)
            subscription.cancel()
            return results, received

    results, received = asyncio.run(scenario())
    check_e2e_results(results)
    check_e2e_subscription(received)


# ---------------------------------------------------------------------------
# Unary tag


def test_tag_returns_tags_with_code_point_offsets(server):
    body = "Le président 🇫🇷 Emmanuel Macron a reçu à Paris la présidente de la BCE."
    title = "Emmanuel Macron à Paris"
    with tagwire.Client(server.address) as client:
        result = client.tag(body, title=title, id="fr-1", source="afp", version=2)
    assert (result.id, result.source, result.version, result.sequence) == ("fr-1", "afp", 2, None)
    assert result.ok and len(result.taxonomy_version) == 16
    macron = next(t for t in result.tags if t.concept_id == "per:emmanuel-macron")
    assert macron.kind == tagwire.Kind.PERSON and macron.in_title
    assert result.people == [macron]
    assert {t.concept_id for t in result.locations} >= {"geo:2988507"}
    for tag in result.tags:
        for mention in tag.mentions:
            text = body if mention.field == "body" else title
            assert text[mention.start : mention.end] == mention.text
            encoded = text.encode()
            assert encoded[mention.byte_start : mention.byte_end].decode() == mention.text
    paris = next(t for t in result.tags if t.concept_id == "geo:2988507")
    assert paris.attributes.country_code == "FR" and paris.attributes.latitude is not None
    # The flag emoji is 2 code points and 8 bytes: the offsets differ.
    body_mention = next(m for m in macron.mentions if m.field == "body")
    assert body_mention.byte_start - body_mention.start == len("é🇫🇷".encode()) - len("é🇫🇷")


def test_tag_generates_an_id_when_none_is_given(server):
    with tagwire.Client(server.address) as client:
        first, second = client.tag("Kyiv"), client.tag("Kyiv")
    assert first.id and second.id and first.id != second.id


def test_tag_accepts_an_article_object(server):
    article = tagwire.Article(body="NATO met in Kyiv.", id="obj", metadata={"desk": "world"})
    with tagwire.Client(server.address) as client:
        assert client.tag(article).id == "obj"
        with pytest.raises(TypeError, match="no other article fields"):
            client.tag(article, id="other")


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"body": b"caf\xe9"}, tagwire.ErrorReason.BODY_NOT_UTF8),
        ({"body": "ok", "title": b"\xc3"}, tagwire.ErrorReason.TITLE_NOT_UTF8),
        ({"body": "  "}, tagwire.ErrorReason.EMPTY_BODY),
        ({"body": "x" * 2000}, tagwire.ErrorReason.ARTICLE_TOO_LARGE),
        ({"body": "ok", "min_score": 2.0}, tagwire.ErrorReason.INVALID_OPTIONS),
    ],
)
def test_tag_raises_article_error_with_reason(start_module_server, kwargs, reason):
    server = start_module_server(max_article_bytes=1000)
    with tagwire.Client(server.address) as client:
        with pytest.raises(tagwire.ArticleError) as caught:
            client.tag(id="bad-1", source="s", **kwargs)
    error = caught.value
    assert error.reason == reason
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert (error.id, error.source) == ("bad-1", "s")
    assert reason.name in str(error) and error.message
    assert isinstance(error, tagwire.TagwireError)


def test_a_conflicting_resend_raises_article_error_conflict(server):
    with tagwire.Client(server.address) as client:
        client.tag("NATO met in Kyiv.", id="py-conflict", source="s", version=2)
        client.tag("NATO met in Kyiv.", id="py-conflict", source="s", version=2)  # a resend
        with pytest.raises(tagwire.ArticleError) as caught:
            client.tag("NATO met in Riga.", id="py-conflict", source="s", version=2)
        assert caught.value.reason == tagwire.ErrorReason.CONFLICT
        assert caught.value.code == grpc.StatusCode.ALREADY_EXISTS
        assert client.tag("NATO met in Riga.", id="py-conflict", source="s", version=3).tags


def test_tag_options(server):
    body = "The New York Times reported from Kyiv on NATO."
    with tagwire.Client(server.address) as client:
        only_places = client.tag(body, kinds=["location"])
        assert {t.kind for t in only_places.tags} == {tagwire.Kind.LOCATION}
        assert only_places.topics == ()  # topics only when TOPIC is wanted
        bare = client.tag(body, include_mentions=False)
        assert all(t.mentions == () and t.count >= 1 for t in bare.tags)
        everything = client.tag(body, overlap="all")
        ids = {t.concept_id for t in everything.tags}
        assert {"org:new-york-times", "geo:5128581"} <= ids, ids  # the paper and the city
        explained = client.tag(body, explain=True)
        assert all(t.explanation for t in explained.tags)
        high = client.tag(body, min_score=0.99)
        assert all(t.score >= 0.99 for t in high.tags)
        with pytest.raises(ValueError, match="unknown kind"):
            client.tag(body, kinds=["PLACE"])


def test_call_errors(server, tmp_path):
    # Nothing listens on port 1: UNAVAILABLE after gRPC's retries.
    with tagwire.Client("127.0.0.1:1", timeout=5) as client:
        with pytest.raises(tagwire.CallError) as caught:
            client.tag("Kyiv")
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    with tagwire.Client(server.address) as client:
        with pytest.raises(tagwire.CallError) as caught:
            client.tag("Kyiv " * 100_000, timeout=0.000_001)
    assert caught.value.code == grpc.StatusCode.DEADLINE_EXCEEDED


# ---------------------------------------------------------------------------
# Streams


def test_tag_many_accepts_dicts_strings_bytes_and_keeps_order(server):
    items = [
        {"id": "d", "body": "NATO", "version": "3", "published_time": "2026-11-23T15:00:00Z"},
        "Frankfurt",
        b"\xff",
        tagwire.Article(body="Tokyo", id="a"),
    ]
    with tagwire.Client(server.address) as client:
        results = list(client.tag_many(items, kinds=["LOCATION", "ORGANIZATION"]))
    assert [r.sequence for r in results] == [0, 1, 2, 3]
    assert results[0].id == "d" and results[0].version == 3
    assert results[0].concept_ids == ["org:nato"]
    assert results[1].concept_ids == ["geo:2925533"] and results[1].id  # generated id
    assert isinstance(results[2], tagwire.ArticleError) and results[2].id
    assert results[3].id == "a"


def test_tag_many_reads_input_only_as_fast_as_the_server_takes_it(server):
    """A generator of a million articles is pulled only as far as flow
    control allows while the caller does not read results."""
    pulled = itertools.count()
    last_pulled = [0]

    def articles():
        for i in range(1_000_000):
            last_pulled[0] = next(pulled)
            yield tagwire.Article(body="NATO ministers met in Kyiv on Tuesday. " * 20, id=str(i))

    with tagwire.Client(server.address) as client:
        stream = client.tag_many(articles())
        first = [next(stream) for _ in range(5)]
        assert [r.id for r in first] == ["0", "1", "2", "3", "4"]

        def plateau():
            before = last_pulled[0]
            time.sleep(1.0)
            return last_pulled[0] == before and before

        pulled_at_plateau = wait_until(plateau, 30, what="the input to stop being pulled")
        assert pulled_at_plateau < 20_000, pulled_at_plateau
        stream.cancel()
        with pytest.raises(tagwire.CallError) as caught:
            for _ in stream:
                pass
        assert caught.value.code == grpc.StatusCode.CANCELLED
        wait_until(lambda: client.stats().active_tag_streams == 0, what="the stream to end")


def test_tag_many_reraises_an_input_error_after_the_answered_articles(server):
    def articles():
        yield "Kyiv"
        yield "Paris"
        raise OSError("feed went away")

    with tagwire.Client(server.address) as client:
        stream = client.tag_many(articles())
        assert [r.ok for r in itertools.islice(stream, 2)] == [True, True]
        with pytest.raises(OSError, match="feed went away"):
            next(stream)
        with pytest.raises(StopIteration):
            next(stream)
        with pytest.raises(TypeError, match="cannot tag a int"):
            list(client.tag_many([1]))


def test_tag_many_reports_unanswered_articles_when_the_server_shuts_down(start_server):
    """SIGTERM mid-stream: every article pulled from the input either has a
    result or is in CallError.unanswered; none is lost."""
    server = start_server()
    pulled: list[str] = []

    def articles():
        for i in range(1_000_000):
            pulled.append(f"n-{i}")
            yield tagwire.Article(body="NATO ministers met in Kyiv. " * 50, id=f"n-{i}")

    answered: list[str] = []
    with tagwire.Client(server.address) as client:
        stream = client.tag_many(articles())
        answered.extend(r.id for r in itertools.islice(stream, 10))
        server.send_signal(signal.SIGTERM)
        with pytest.raises(tagwire.CallError) as caught:
            for result in stream:
                assert result.ok
                answered.append(result.id)
    error = caught.value
    assert error.code == grpc.StatusCode.UNAVAILABLE
    unanswered = [a.id for a in error.unanswered]
    assert answered + unanswered == pulled
    assert server.wait_exit() == 0


# ---------------------------------------------------------------------------
# Subscriptions


def test_subscribe_with_a_filter(server):
    with tagwire.Client(server.address) as client:
        before = client.stats().active_subscriptions
        with client.subscribe(kinds="PERSON", min_score=0.1, timeout=RPC_TIMEOUT) as subscription:
            wait_until(lambda: client.stats().active_subscriptions > before, what="subscription")
            bodies = ["Kyiv", "Emmanuel Macron in Paris", "NATO", "Emmanuel Macron again"]
            list(client.tag_many({"id": f"f{i}", "body": b} for i, b in enumerate(bodies)))
            got = [next(subscription).id, next(subscription).id]
            assert got == ["f1", "f3"]
        # Leaving the block cancelled it: iteration stops cleanly.
        assert list(subscription) == []


def test_subscribe_asyncio_cancel_stops_iteration(server):
    async def scenario():
        async with tagwire.aio.Client(server.address) as client:
            subscription = client.subscribe(concept_ids=["org:nato"])
            await client.stats()
            subscription.cancel()
            return [t async for t in subscription]

    assert asyncio.run(scenario()) == []


# ---------------------------------------------------------------------------
# Admin, token, TLS


def test_admin_calls(server):
    with tagwire.Client(server.address) as client:
        taxonomy = client.taxonomy()
        assert taxonomy.concept_count == 220 and len(taxonomy.version) == 16
        before = client.stats().articles_tagged
        client.tag("Kyiv")
        assert client.stats().articles_tagged == before + 1
        reloaded = client.reload_taxonomy()
        assert reloaded.taxonomy.version == taxonomy.version and not reloaded.changed


def test_admin_calls_asyncio(server):
    async def scenario():
        async with tagwire.aio.Client(server.address) as client:
            return (await client.taxonomy()).concept_count, (await client.stats()).worker_threads

    assert asyncio.run(scenario())[0] == 220


def test_token(start_module_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("token") / "token"
    path.write_text("s3cret-token\n")
    server = start_module_server(token_file=path)
    with tagwire.Client(server.address) as client:
        with pytest.raises(tagwire.CallError) as caught:
            client.tag("Kyiv")
        assert caught.value.code == grpc.StatusCode.UNAUTHENTICATED
    with tagwire.Client(server.address, token="wrong") as client:
        with pytest.raises(tagwire.CallError) as caught:
            list(client.tag_many(["Kyiv"]))
        assert caught.value.code == grpc.StatusCode.UNAUTHENTICATED
        # Whether "Kyiv" was pulled before the refusal is a race; either way
        # it got no result, so it is unanswered or still in the input.
        assert [a.body for a in caught.value.unanswered] in ([], ["Kyiv"])
    with tagwire.Client(server.address, token="s3cret-token") as client:
        assert client.tag("Kyiv").concept_ids == ["geo:703448"]
        assert [r.ok for r in client.tag_many(["Kyiv", "Paris"])] == [True, True]


def test_tls_and_mtls(start_module_server, tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    server_ca, client_ca = trustme.CA(), trustme.CA()
    leaf = server_ca.issue_cert("localhost")
    leaf.private_key_pem.write_to_path(str(directory / "server.key"))
    (directory / "server.pem").write_bytes(b"".join(b.bytes() for b in leaf.cert_chain_pems))
    client_ca.cert_pem.write_to_path(str(directory / "client-ca.pem"))
    server_ca.cert_pem.write_to_path(str(directory / "server-ca.pem"))
    client_leaf = client_ca.issue_cert("client@tagwire.test")
    client_leaf.private_key_pem.write_to_path(str(directory / "client.key"))
    (directory / "client.pem").write_bytes(b"".join(b.bytes() for b in client_leaf.cert_chain_pems))
    server = start_module_server(
        tls_cert=directory / "server.pem",
        tls_key=directory / "server.key",
        tls_client_ca=directory / "client-ca.pem",
    )
    target = "localhost:" + server.address.rsplit(":", 1)[1]
    tls = tagwire.TLS(
        ca=directory / "server-ca.pem", cert=directory / "client.pem", key=directory / "client.key"
    )
    with tagwire.Client(target, tls=tls) as client:
        assert client.tag("Kyiv").concept_ids == ["geo:703448"]
    # The PEM itself works as well as a path.
    tls = tagwire.TLS(
        ca=server_ca.cert_pem.bytes(),
        cert=(directory / "client.pem").read_bytes(),
        key=client_leaf.private_key_pem.bytes(),
    )
    with tagwire.Client(target, tls=tls) as client:
        assert client.tag("Paris").concept_ids == ["geo:2988507"]
    # Without a client certificate the mTLS handshake fails.
    with tagwire.Client(target, tls=tagwire.TLS(ca=directory / "server-ca.pem"), timeout=5) as c:
        with pytest.raises(tagwire.CallError) as caught:
            c.tag("Kyiv")
        assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    with pytest.raises(ValueError, match="cert and key go together"):
        tagwire.Client(target, tls=tagwire.TLS(cert=directory / "client.pem"))


# ---------------------------------------------------------------------------
# Retries


def test_idempotent_calls_are_retried_when_unavailable():
    """Tag and the admin reads are retried on UNAVAILABLE, ReloadTaxonomy is
    not. tagwired cannot be made to answer UNAVAILABLE on demand, so a
    scripted gRPC server stands in for it here: it counts the attempts and
    refuses each."""
    from concurrent import futures

    attempts: dict[str, int] = {}

    class Refuser(grpc.GenericRpcHandler):
        def service(self, handler_call_details):
            method = handler_call_details.method

            def refuse(request, context):
                attempts[method] = attempts.get(method, 0) + 1
                context.abort(grpc.StatusCode.UNAVAILABLE, "restarting")

            return grpc.unary_unary_rpc_method_handler(refuse)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((Refuser(),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with tagwire.Client(f"127.0.0.1:{port}") as client:
            for call in (
                lambda: client.tag("Kyiv"),
                client.stats,
                client.taxonomy,
                client.reload_taxonomy,
            ):
                with pytest.raises(tagwire.CallError) as caught:
                    call()
                assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    finally:
        server.stop(None)
    assert attempts == {
        "/tagwire.v1.TaggingService/Tag": 5,
        "/tagwire.v1.AdminService/GetServerStats": 5,
        "/tagwire.v1.AdminService/GetTaxonomy": 5,
        "/tagwire.v1.AdminService/ReloadTaxonomy": 1,
    }


# ---------------------------------------------------------------------------
# Abandoned and cancelled streams


def test_an_abandoned_stream_is_cancelled(server):
    """Breaking out of tag_many without cancel() or `with` must not leak the
    call, its thread or the server's stream slot."""

    def endless():
        for i in itertools.count():
            yield tagwire.Article(body="NATO ministers met in Kyiv. " * 20, id=f"ab-{i}")

    with tagwire.Client(server.address) as client:
        before = client.stats().active_tag_streams
        threads = threading.active_count()
        for _ in range(5):
            for _result in client.tag_many(endless()):
                break
        wait_until(lambda: client.stats().active_tag_streams == before, what="the streams to end")
        wait_until(lambda: threading.active_count() <= threads, what="gRPC's threads to end")


def test_an_abandoned_stream_is_cancelled_asyncio(server):
    async def scenario():
        async def endless():
            for i in itertools.count():
                yield tagwire.Article(body="NATO ministers met in Kyiv. " * 20, id=f"aa-{i}")

        async with tagwire.aio.Client(server.address) as client:
            before = (await client.stats()).active_tag_streams
            for _ in range(5):
                async for _result in client.tag_many(endless()):
                    break
            for _ in range(200):
                if (await client.stats()).active_tag_streams == before:
                    return True
                await asyncio.sleep(0.05)
            return False

    assert asyncio.run(scenario()), "abandoned asyncio streams still open on the server"


def test_asyncio_cancel_raises_call_error_with_the_unanswered(server):
    async def scenario():
        async with tagwire.aio.Client(server.address) as client:
            stream = client.tag_many(
                tagwire.Article(body="NATO in Kyiv. " * 50, id=f"c-{i}") for i in range(5000)
            )
            first = await anext(stream)
            stream.cancel()
            with pytest.raises(tagwire.CallError) as caught:
                async for _ in stream:
                    pass
            return first, caught.value

    first, error = asyncio.run(scenario())
    assert first.id == "c-0"
    assert error.code == grpc.StatusCode.CANCELLED
    ids = [a.id for a in error.unanswered]
    assert ids and ids[0].startswith("c-") and ids == sorted(ids, key=lambda i: int(i[2:]))


# ---------------------------------------------------------------------------
# Articles the server could not receive; plaintext only to this host


def test_an_article_too_large_to_send_is_refused_in_its_place(server):
    """An article over max_message_bytes would make the server end the whole
    call (RESOURCE_EXHAUSTED): the client refuses it locally instead, in its
    place, and the stream goes on."""
    items = ["Kyiv", "x" * 5000, "Paris", "y" * 5000, "Tokyo", "z" * 5000]
    with tagwire.Client(server.address, max_message_bytes=2000) as client:
        results = list(client.tag_many(items))
        assert [r.sequence for r in results] == [0, 1, 2, 3, 4, 5]
        assert [r.ok for r in results] == [True, False, True, False, True, False]
        for refused in results[1::2]:
            assert refused.reason == tagwire.ErrorReason.ARTICLE_TOO_LARGE
            assert "max_message_bytes" in refused.message and refused.id
        with pytest.raises(tagwire.ArticleError, match="ARTICLE_TOO_LARGE"):
            client.tag("x" * 5000, id="big")


def test_an_article_over_the_servers_message_limit(server):
    """The real limit: a 9 MB article with the default max_message_bytes."""
    huge = "NATO " * 1_800_000
    with tagwire.Client(server.address) as client:
        failed_before = client.stats().articles_failed
        with pytest.raises(tagwire.ArticleError) as caught:
            client.tag(huge, id="huge")
        assert caught.value.reason == tagwire.ErrorReason.ARTICLE_TOO_LARGE
        results = list(client.tag_many(["Kyiv", huge, "Paris"]))
        assert [r.ok for r in results] == [True, False, True]
        # Refused by the client: the server never saw either.
        assert client.stats().articles_failed == failed_before


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine that is not loopback, if it has one."""
    import socket

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


def test_plaintext_only_to_this_host_unless_asked(start_module_server):
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to test a remote peer with")
    server = start_module_server(listen="0.0.0.0:0", allow_insecure_remote=True)
    remote = f"{address}:{server.address.rsplit(':', 1)[1]}"
    with tagwire.Client(remote, token="secret", timeout=5) as client:
        with pytest.raises(tagwire.CallError) as caught:
            client.stats()
        assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    with tagwire.Client(remote, tls=False) as client:
        assert client.tag("Kyiv").concept_ids == ["geo:703448"]
    local = "localhost:" + server.address.rsplit(":", 1)[1]
    with tagwire.Client(local) as client:
        assert client.tag("Paris").concept_ids == ["geo:2988507"]
