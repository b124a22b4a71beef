"""SubscriptionService: filtered delivery of every article tagged after
subscribing, and slow subscribers ended with RESOURCE_EXHAUSTED."""

import grpc
import pytest
from conftest import RPC_TIMEOUT, wait_until
from tagwire.v1 import article_pb2, subscription_service_pb2, tagging_pb2, tagging_service_pb2

KIND = tagging_pb2.ConceptKind
NICE, NATO = "geo:2990440", "org:nato"


def tag_request(example, id, options=None):
    return tagging_service_pb2.TagRequest(
        article=article_pb2.Article(id=id, title=example["title"], body=example["body"]),
        options=options,
    )


def passes(tagged, kinds=(), concept_ids=(), topics=(), min_score=0.0):
    """The SubscriptionFilter rules of subscription_service.proto, applied to
    a complete TaggedArticle."""
    entries = [(t.concept_id, t.kind, "") for t in tagged.tags if t.score >= min_score]
    entries += [
        (t.concept_id, KIND.Value("CONCEPT_KIND_TOPIC"), t.iptc_code)
        for t in tagged.topics
        if t.score >= min_score
    ]
    if kinds and not any(kind in kinds for _, kind, _ in entries):
        return False
    if concept_ids and not any(id in concept_ids for id, _, _ in entries):
        return False
    if topics and not any(
        id in topics or (iptc and iptc in topics)
        for id, kind, iptc in entries
        if kind == KIND.Value("CONCEPT_KIND_TOPIC")
    ):
        return False
    return True


def test_filters(server, examples):
    stub = server.tagging()
    # Tagged before subscribing: learns the scores, and must not be delivered.
    before = {
        e["name"]: stub.Tag(
            tag_request(e, "before-" + e["name"]), timeout=RPC_TIMEOUT
        ).tagged_article
        for e in examples
    }
    nato_scores = sorted(
        {
            next(t.score for t in a.tags if t.concept_id == NATO)
            for a in before.values()
            if NATO in {t.concept_id for t in a.tags}
        }
    )
    assert len(nato_scores) >= 2, f"need two NATO articles with different scores: {nato_scores}"

    filters = {
        "all": {},
        "people": dict(kinds=[KIND.Value("CONCEPT_KIND_PERSON")]),
        "nice": dict(concept_ids=[NICE]),
        "economy-by-iptc": dict(topics=["medtop:04000000"]),
        "conflict-by-id": dict(topics=["topic:medtop:16000000"]),
        "nato-central": dict(concept_ids=[NATO], min_score=(nato_scores[0] + nato_scores[-1]) / 2),
        "any-topic": dict(kinds=[KIND.Value("CONCEPT_KIND_TOPIC")]),
        "orgs-in-politics": dict(
            kinds=[KIND.Value("CONCEPT_KIND_ORGANIZATION")], topics=["medtop:11000000"]
        ),
    }
    subscribers = {name: server.subscribe(**fields) for name, fields in filters.items()}
    wait_until(
        lambda: server.stats().active_subscriptions == len(filters),
        what="every subscription registered",
    )

    # Produce: every example by unary Tag, by TagStream, and once shaped by
    # the producer's options (locations only).
    produced = {}
    for e in examples:
        produced["u-" + e["name"]] = stub.Tag(
            tag_request(e, "u-" + e["name"]), timeout=RPC_TIMEOUT
        ).tagged_article
    call = stub.TagStream(
        iter(
            tagging_service_pb2.TagStreamRequest(article=tag_request(e, "s-" + e["name"]).article)
            for e in examples
        ),
        timeout=60,
    )
    for response in call:
        produced[response.id] = response.tagged_article
    locations_only = tagging_pb2.TagOptions(kinds=[KIND.Value("CONCEPT_KIND_LOCATION")])
    produced["shaped"] = stub.Tag(
        tag_request(examples[3], "shaped", locations_only), timeout=RPC_TIMEOUT
    ).tagged_article
    assert produced["shaped"].tags and not produced["shaped"].topics

    # A sentinel per subscriber, tagged last: once a subscriber has its
    # sentinel, it has everything tagged before it.
    expected = {}
    for name, fields in filters.items():
        expected[name] = {id for id, tagged in produced.items() if passes(tagged, **fields)}
        assert expected[name], f"filter {name} matches nothing: a useless test"
        sentinel = next(e for e in examples if passes(before[e["name"]], **fields))
        stub.Tag(tag_request(sentinel, "sentinel-" + name), timeout=RPC_TIMEOUT)

    for name, subscriber in subscribers.items():
        received = {}
        while True:
            tagged = subscriber.recv(timeout=10).tagged_article
            if tagged.id == "sentinel-" + name:
                break
            if not tagged.id.startswith("sentinel-"):
                assert tagged.id not in received, f"{name}: {tagged.id} delivered twice"
                received[tagged.id] = tagged
        assert set(received) == expected[name], name
        for id, tagged in received.items():
            assert tagged == produced[id], f"{name}: {id} differs from the producer's result"
        subscriber.cancel()


def test_slow_subscriber_is_dropped(start_server, examples):
    server = start_server(subscriber_queue=8)
    # A raw call nobody iterates: its messages pile up in the server.
    slow = server.subscription().Subscribe(subscription_service_pb2.SubscribeRequest(), timeout=120)
    fast = server.subscribe(concept_ids=[NICE])
    wait_until(lambda: server.stats().active_subscriptions == 2, what="subscriptions registered")

    nice_ids, batches = [], 0
    while server.stats().slow_subscribers_dropped == 0:
        batches += 1
        assert batches <= 20, "the unread subscriber was never dropped"
        ids = [f"b{batches}-{i}" for i in range(500)]
        call = server.tagging().TagStream(
            iter(
                tagging_service_pb2.TagStreamRequest(
                    article=tag_request(examples[i % len(examples)], id).article
                )
                for i, id in enumerate(ids)
            ),
            timeout=60,
        )
        responses = list(call)  # the producer is never slowed or failed
        assert [r.id for r in responses] == ids
        assert all(r.WhichOneof("result") == "tagged_article" for r in responses)
        nice_ids += [
            r.id for r in responses if NICE in {t.concept_id for t in r.tagged_article.tags}
        ]
    assert server.stats().slow_subscribers_dropped == 1

    with pytest.raises(grpc.RpcError) as raised:
        for _ in slow:  # what the transport had buffered, then the end
            pass
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "too slow" in raised.value.details()

    # The subscriber that kept up got every one of its articles.
    got = [fast.recv(timeout=10).tagged_article.id for _ in nice_ids]
    assert got == nice_ids
    assert not fast.ended
    wait_until(lambda: server.stats().active_subscriptions == 1, what="slow subscriber removed")
