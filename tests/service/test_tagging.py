"""TaggingService on a default tagwired: unary Tag, TagStream order and
options, per-article errors, and transport-size limits."""

import math
import re
import threading

import grpc
import pytest
from conftest import RPC_TIMEOUT, check_tagged
from tagwire.v1 import article_pb2, error_pb2, tagging_pb2, tagging_service_pb2

HEX16 = re.compile(r"^[0-9a-f]{16}$")
PARIS, BERLIN = "geo:2988507", "geo:2950159"
GOOD_BODY = b"Leaders met in Paris and Berlin on Monday."
MAX_ARTICLE_BYTES = 1048576  # the server's default --max_article_bytes


def article(id, body=GOOD_BODY, title=b"", **fields):
    return article_pb2.Article(id=id, body=body, title=title, **fields)


def example_article(example, id, **fields):
    return article_pb2.Article(id=id, title=example["title"], body=example["body"], **fields)


# Bad articles, each with the ErrorReason name it must get. Keyword arguments
# build the Article; "options" is the per-article TagOptions.
BAD_ARTICLES = [
    ("body-0xff", dict(body=b"Paris \xff Berlin"), "BODY_NOT_UTF8"),
    ("body-overlong-2", dict(body=b"Paris \xc0\xaf Berlin"), "BODY_NOT_UTF8"),
    ("body-overlong-3", dict(body=b"Paris \xe0\x80\xaf Berlin"), "BODY_NOT_UTF8"),
    ("body-surrogate", dict(body=b"Paris \xed\xa0\x80 Berlin"), "BODY_NOT_UTF8"),
    ("body-above-u10ffff", dict(body=b"Paris \xf4\x90\x80\x80 Berlin"), "BODY_NOT_UTF8"),
    ("body-truncated-at-end", dict(body=b"Paris and Berlin \xe2\x82"), "BODY_NOT_UTF8"),
    ("body-lone-continuation", dict(body=b"Paris \x80 Berlin"), "BODY_NOT_UTF8"),
    ("title-0xff", dict(title=b"Paris \xff", body=b"Berlin"), "TITLE_NOT_UTF8"),
    ("title-truncated", dict(title=b"Paris \xc3", body=b"Berlin"), "TITLE_NOT_UTF8"),
    ("empty", dict(title=b"", body=b""), "EMPTY_BODY"),
    ("whitespace-only", dict(title=b"  ", body=b" \n\t\r\n "), "EMPTY_BODY"),
    ("too-large", dict(body=b"Paris. " + b"a" * MAX_ARTICLE_BYTES), "ARTICLE_TOO_LARGE"),
    ("missing-id", dict(id=""), "MISSING_ID"),
    ("min-score-2", dict(options=tagging_pb2.TagOptions(min_score=2.0)), "INVALID_OPTIONS"),
    (
        "min-score-negative",
        dict(options=tagging_pb2.TagOptions(min_score=-0.25)),
        "INVALID_OPTIONS",
    ),
    ("min-score-nan", dict(options=tagging_pb2.TagOptions(min_score=math.nan)), "INVALID_OPTIONS"),
]


def bad_request(name, fields):
    fields = dict(fields)
    options = fields.pop("options", None)
    fields.setdefault("id", name)
    return article(**fields), options


def reason_name(reason):
    return error_pb2.ErrorReason.Name(reason).removeprefix("ERROR_REASON_")


# ---------------------------------------------------------------------------
# Unary Tag


def test_tag_examples_unary(server, examples):
    version = server.taxonomy_version()
    assert HEX16.match(version), version
    stub = server.tagging()
    for i, example in enumerate(examples):
        response = stub.Tag(
            tagging_service_pb2.TagRequest(
                article=example_article(example, example["name"], source="wire", version=i)
            ),
            timeout=RPC_TIMEOUT,
        )
        tagged = response.tagged_article
        assert (tagged.source, tagged.id, tagged.version) == ("wire", example["name"], i)
        assert tagged.taxonomy_version == version
        assert tagged.title_bytes == len(example["title"])
        assert tagged.body_bytes == len(example["body"])
        check_tagged(tagged, example)
        for tag in tagged.tags:
            assert 0.0 <= tag.score <= 1.0
            assert tag.kind != tagging_pb2.CONCEPT_KIND_UNSPECIFIED
            assert tag.count == len(tag.mentions)  # mentions included by default
            for mention in tag.mentions:
                in_title = mention.field == tagging_pb2.FIELD_TITLE
                text = example["title"] if in_title else example["body"]
                assert text[mention.byte_start : mention.byte_end].decode() == mention.text


def test_tag_options_shape_the_answer(server, examples):
    example = next(e for e in examples if e["name"].startswith("04-"))
    stub = server.tagging()
    options = tagging_pb2.TagOptions(
        kinds=[tagging_pb2.CONCEPT_KIND_PERSON], include_mentions=False
    )
    tagged = stub.Tag(
        tagging_service_pb2.TagRequest(article=example_article(example, "o"), options=options),
        timeout=RPC_TIMEOUT,
    ).tagged_article
    assert tagged.tags, "no PERSON tags in the NATO example"
    assert {t.kind for t in tagged.tags} == {tagging_pb2.CONCEPT_KIND_PERSON}
    assert not tagged.topics, "topics returned although kinds excludes TOPIC"
    assert all(not t.mentions and t.count > 0 for t in tagged.tags)


@pytest.mark.parametrize("name,fields,reason", BAD_ARTICLES, ids=[b[0] for b in BAD_ARTICLES])
def test_tag_bad_article_unary(server, name, fields, reason):
    request_article, options = bad_request(name, fields)
    with pytest.raises(grpc.RpcError) as raised:
        server.tagging().Tag(
            tagging_service_pb2.TagRequest(article=request_article, options=options),
            timeout=RPC_TIMEOUT,
        )
    error = raised.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    trailers = dict(error.trailing_metadata() or ())
    assert trailers.get("tagwire-error-reason") == reason, trailers
    assert "tagwire-article-error-bin" in trailers, trailers
    article_error = error_pb2.ArticleError.FromString(trailers["tagwire-article-error-bin"])
    assert reason_name(article_error.reason) == reason
    assert article_error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert article_error.message


def test_tag_article_of_exactly_the_size_limit_is_accepted(server):
    body = b"Paris. " + b"a" * (MAX_ARTICLE_BYTES - 7)
    tagged = (
        server.tagging()
        .Tag(
            tagging_service_pb2.TagRequest(article=article("limit", body=body)), timeout=RPC_TIMEOUT
        )
        .tagged_article
    )
    assert tagged.body_bytes == MAX_ARTICLE_BYTES
    assert PARIS in {t.concept_id for t in tagged.tags}


def test_control_characters_are_tagged_not_hung_on(server):
    """NUL, BEL and ESC are valid UTF-8: tagged like any text, and answered
    promptly (they once sent the folding into an endless loop)."""
    body = b"\x00Leaders met in Paris\x07 and Berlin\x1b[0m on Monday.\x00\x01"
    response = server.tagging().Tag(
        tagging_service_pb2.TagRequest(article=article("ctl", body=body)), timeout=RPC_TIMEOUT
    )
    assert {PARIS, BERLIN} <= {t.concept_id for t in response.tagged_article.tags}


def test_tag_headline_only_is_accepted(server):
    tagged = (
        server.tagging()
        .Tag(
            tagging_service_pb2.TagRequest(
                article=article("flash", title=b"FLASH: BERLIN", body=b"")
            ),
            timeout=RPC_TIMEOUT,
        )
        .tagged_article
    )
    assert BERLIN in {t.concept_id for t in tagged.tags}


# ---------------------------------------------------------------------------
# TagStream


def test_stream_10000_articles_in_order(server, examples):
    """10,000 articles from a generator: answered in order, sequences 0..9999,
    identities echoed, stream default options applied and overridable."""
    count = 10_000
    with_mentions = 5_000  # this one article asks for mentions
    locations_from = 7_000  # an options-only message before it: locations only
    version = server.taxonomy_version()

    def requests():
        # Options-only first message: the stream's defaults (no mentions).
        yield tagging_service_pb2.TagStreamRequest(
            options=tagging_pb2.TagOptions(include_mentions=False)
        )
        for i in range(count):
            if i == locations_from:
                yield tagging_service_pb2.TagStreamRequest(
                    options=tagging_pb2.TagOptions(
                        include_mentions=False, kinds=[tagging_pb2.CONCEPT_KIND_LOCATION]
                    )
                )
            options = tagging_pb2.TagOptions(include_mentions=True) if i == with_mentions else None
            yield tagging_service_pb2.TagStreamRequest(
                article=example_article(
                    examples[i % len(examples)], f"a{i}", source="wire", version=i % 3
                ),
                options=options,
            )

    call = server.tagging().TagStream(requests(), timeout=150)
    received = 0
    for response in call:
        i = received
        assert response.sequence == i
        assert (response.source, response.id, response.version) == ("wire", f"a{i}", i % 3)
        assert response.WhichOneof("result") == "tagged_article", response.error
        tagged = response.tagged_article
        assert tagged.id == f"a{i}"
        assert tagged.taxonomy_version == version
        if i == with_mentions:
            assert any(t.mentions for t in tagged.tags), "per-article include_mentions ignored"
        elif i >= locations_from:
            assert not tagged.topics, f"a{i}: topics returned although kinds excludes TOPIC"
            assert all(t.kind == tagging_pb2.CONCEPT_KIND_LOCATION for t in tagged.tags)
            if any(c.startswith("geo:") for c in examples[i % len(examples)]["must_tag"]):
                assert tagged.tags
        else:
            assert not any(t.mentions for t in tagged.tags), f"a{i}: stream default ignored"
            if i % 499 == 0 or i == with_mentions + 1:
                check_tagged(tagged, examples[i % len(examples)])
        received += 1
    assert received == count
    assert call.code() == grpc.StatusCode.OK


def test_stream_per_article_errors(server, examples):
    """Every bad article gets its own error in its place; the good ones
    around them are tagged; the stream ends OK; the stats count them."""
    before = server.stats()
    requests, expected = [], []
    for name, fields, reason in BAD_ARTICLES:
        requests.append(tagging_service_pb2.TagStreamRequest(article=article(f"good-{name}")))
        expected.append((f"good-{name}", None))
        request_article, options = bad_request(name, fields)
        requests.append(
            tagging_service_pb2.TagStreamRequest(article=request_article, options=options)
        )
        expected.append((request_article.id, reason))
    requests.append(tagging_service_pb2.TagStreamRequest(article=article("good-last")))
    expected.append(("good-last", None))

    call = server.tagging().TagStream(iter(requests), timeout=60)
    responses = list(call)
    assert call.code() == grpc.StatusCode.OK
    assert [r.sequence for r in responses] == list(range(len(expected)))
    for response, (id, reason) in zip(responses, expected, strict=True):
        assert response.id == id
        if reason is None:
            assert response.WhichOneof("result") == "tagged_article", (id, response.error)
            assert {PARIS, BERLIN} <= {t.concept_id for t in response.tagged_article.tags}
        else:
            assert response.WhichOneof("result") == "error", f"{id or 'missing-id'} was tagged"
            assert reason_name(response.error.reason) == reason, (id, response.error)
            assert response.error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
            assert response.error.message

    after = server.stats()
    bad = [reason for _, _, reason in BAD_ARTICLES]
    assert after.articles_failed - before.articles_failed == len(bad)
    assert after.articles_tagged - before.articles_tagged == len(BAD_ARTICLES) + 1
    for reason in set(bad):
        delta = after.failures_by_reason[reason] - before.failures_by_reason[reason]
        assert delta == bad.count(reason), reason


# ---------------------------------------------------------------------------
# The same article twice: a resend, or a conflict


def tag_unary(server, request_article):
    request = tagging_service_pb2.TagRequest(article=request_article)
    return server.tagging().Tag(request, timeout=RPC_TIMEOUT).tagged_article


def test_same_identity_with_other_content_is_a_conflict(server):
    before = server.stats()
    first = article("conflict-1", source="wire", version=3)
    assert tag_unary(server, first).id == "conflict-1"
    assert tag_unary(server, first).id == "conflict-1"  # a resend: answered again
    resent = article("conflict-1", source="wire", version=3, language="en")
    resent.metadata["desk"] = "world"  # not tagged, so not content
    assert tag_unary(server, resent).tags

    for changed in (
        article("conflict-1", source="wire", version=3, body=b"Leaders met in Rome."),
        article("conflict-1", source="wire", version=3, title=b"Summit"),
    ):
        with pytest.raises(grpc.RpcError) as raised:
            tag_unary(server, changed)
        error = raised.value
        assert error.code() == grpc.StatusCode.ALREADY_EXISTS, error.details()
        trailers = dict(error.trailing_metadata() or ())
        assert trailers.get("tagwire-error-reason") == "CONFLICT", trailers
        article_error = error_pb2.ArticleError.FromString(trailers["tagwire-article-error-bin"])
        assert article_error.reason == error_pb2.ERROR_REASON_CONFLICT
        assert article_error.code == grpc.StatusCode.ALREADY_EXISTS.value[0]
        assert "source 'wire' id 'conflict-1' version 3 was sent" in article_error.message
        assert "send a correction as version 4" in article_error.message

    # The first content stands; a new version, or another source, is another article.
    assert tag_unary(server, first).tags
    assert tag_unary(server, article("conflict-1", source="wire", version=4, body=b"Rome.")).id
    assert tag_unary(server, article("conflict-1", source="other", version=3, body=b"Rome.")).id
    after = server.stats()
    assert after.failures_by_reason["CONFLICT"] - before.failures_by_reason["CONFLICT"] == 2


def test_conflict_on_a_stream_is_answered_in_its_place(server):
    sent = [
        article("conflict-s1"),
        article("conflict-s1"),
        article("conflict-s1", body=b"Leaders met in Rome."),
        article("conflict-s2", body=b"Leaders met in Rome."),
        # Invalid, so it never takes the identity: the valid one after it is new.
        article("conflict-s3", body=b"Paris \xff"),
        article("conflict-s3"),
    ]
    call = server.tagging().TagStream(
        iter(tagging_service_pb2.TagStreamRequest(article=a) for a in sent), timeout=60
    )
    responses = list(call)
    assert call.code() == grpc.StatusCode.OK
    outcome = [
        r.tagged_article.id
        if r.WhichOneof("result") == "tagged_article"
        else reason_name(r.error.reason)
        for r in responses
    ]
    assert outcome == [
        "conflict-s1",
        "conflict-s1",
        "CONFLICT",
        "conflict-s2",
        "BODY_NOT_UTF8",
        "conflict-s3",
    ]
    assert responses[2].error.code == grpc.StatusCode.ALREADY_EXISTS.value[0]


def test_conflict_window_zero_turns_the_check_off(start_server):
    server = start_server(conflict_window="0s")
    assert tag_unary(server, article("off")).id
    assert tag_unary(server, article("off", body=b"Leaders met in Rome.")).id


def test_conflict_window_bounds_what_is_remembered(start_server):
    server = start_server(conflict_window_articles=2)
    assert tag_unary(server, article("w1")).id
    with pytest.raises(grpc.RpcError):
        tag_unary(server, article("w1", body=b"Rome."))
    assert tag_unary(server, article("w2")).id and tag_unary(server, article("w3")).id
    # w1 was pushed out by two newer identities: its next content is new.
    assert tag_unary(server, article("w1", body=b"Rome.")).id


def test_invalid_stream_options_end_the_stream(server):
    requests = [
        tagging_service_pb2.TagStreamRequest(options=tagging_pb2.TagOptions(min_score=3.0)),
        tagging_service_pb2.TagStreamRequest(article=article("after-bad-options")),
    ]
    call = server.tagging().TagStream(iter(requests), timeout=RPC_TIMEOUT)
    with pytest.raises(grpc.RpcError) as raised:
        list(call)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_oversized_message_ends_only_its_own_stream(server):
    """A 64 MiB message (over --max_message_bytes) ends its stream with
    RESOURCE_EXHAUSTED; a parallel stream on the same channel completes."""
    half = 300
    giant_done = threading.Event()

    def parallel_requests():
        for i in range(2 * half):
            if i == half:
                giant_done.wait(60)
            yield tagging_service_pb2.TagStreamRequest(article=article(f"p{i}"))

    parallel = server.tagging().TagStream(parallel_requests(), timeout=120)
    responses = []
    for response in parallel:
        responses.append(response)
        if len(responses) == half:
            break  # the parallel stream is open and half done

    giant = article("giant", body=b"a" * (64 << 20))
    call = server.tagging().TagStream(
        iter([tagging_service_pb2.TagStreamRequest(article=giant)]), timeout=60
    )
    with pytest.raises(grpc.RpcError) as raised:
        list(call)
    giant_done.set()
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, raised.value.details()

    responses.extend(parallel)
    assert parallel.code() == grpc.StatusCode.OK
    assert [r.sequence for r in responses] == list(range(2 * half))
    assert all(r.WhichOneof("result") == "tagged_article" for r in responses)
    # The server is fine afterwards.
    server.tagging().Tag(
        tagging_service_pb2.TagRequest(article=article("after")), timeout=RPC_TIMEOUT
    )


def test_oversized_unary_message_is_resource_exhausted(server):
    with pytest.raises(grpc.RpcError) as raised:
        server.tagging().Tag(
            tagging_service_pb2.TagRequest(article=article("big", body=b"a" * (9 << 20))),
            timeout=RPC_TIMEOUT,
        )
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_tag_without_article_is_invalid(server):
    with pytest.raises(grpc.RpcError) as raised:
        server.tagging().Tag(tagging_service_pb2.TagRequest(), timeout=RPC_TIMEOUT)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_offsets_in_code_points_and_utf16(server, examples):
    example = next(e for e in examples if e["name"].startswith("08-"))  # CJK text
    options = tagging_pb2.TagOptions(
        offset_units=[tagging_pb2.OFFSET_UNIT_CODE_POINTS, tagging_pb2.OFFSET_UNIT_UTF16]
    )
    tagged = (
        server.tagging()
        .Tag(
            tagging_service_pb2.TagRequest(
                article=example_article(example, "cjk"), options=options
            ),
            timeout=RPC_TIMEOUT,
        )
        .tagged_article
    )
    checked = 0
    for tag in tagged.tags:
        for m in tag.mentions:
            text = example["title"] if m.field == tagging_pb2.FIELD_TITLE else example["body"]
            assert m.HasField("code_point_start") and m.HasField("utf16_start")
            assert text.decode()[m.code_point_start : m.code_point_end] == m.text
            utf16 = text.decode().encode("utf-16-le")
            assert utf16[2 * m.utf16_start : 2 * m.utf16_end].decode("utf-16-le") == m.text
            checked += 1
    assert checked >= 7


def test_empty_streams_end_ok(server):
    for requests in (
        [],
        [tagging_service_pb2.TagStreamRequest(options=tagging_pb2.TagOptions(min_score=0.5))],
    ):
        call = server.tagging().TagStream(iter(requests), timeout=RPC_TIMEOUT)
        assert list(call) == []
        assert call.code() == grpc.StatusCode.OK


def test_parallel_streams_keep_their_own_order(server, examples):
    streams, count = 4, 2000
    results = [None] * streams

    def run(s):
        requests = (
            tagging_service_pb2.TagStreamRequest(
                article=example_article(
                    examples[(i + s) % len(examples)], f"p{s}-{i}", source=f"feed{s}"
                ),
                options=tagging_pb2.TagOptions(include_mentions=False),
            )
            for i in range(count)
        )
        call = server.tagging().TagStream(requests, timeout=120)
        try:
            results[s] = [(r.sequence, r.source, r.id, r.WhichOneof("result")) for r in call]
        except grpc.RpcError as error:
            results[s] = error

    threads = [threading.Thread(target=run, args=(s,)) for s in range(streams)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(150)
    for s in range(streams):
        assert results[s] == [
            (i, f"feed{s}", f"p{s}-{i}", "tagged_article") for i in range(count)
        ], f"stream {s}"


def test_stream_end_is_logged_without_article_text(server):
    """Each finished stream leaves one stream_ended line: counts and status,
    never article text."""
    marker = "Quizzaciously-unique-marker"
    before = server.event_count()
    requests = [
        tagging_service_pb2.TagStreamRequest(
            article=article_pb2.Article(id=f"log{i}", body=f"{marker} in Paris.".encode())
        )
        for i in range(4)
    ]
    requests.append(
        tagging_service_pb2.TagStreamRequest(
            article=article_pb2.Article(id="log-bad", body=b"\xff")
        )
    )
    responses = list(server.tagging().TagStream(iter(requests), timeout=RPC_TIMEOUT))
    assert len(responses) == 5
    event = server.wait_event(
        "stream_ended",
        after=before,
        where=lambda e: e.get("rpc") == "TagStream" and e.get("articles_answered") == 5,
        timeout=10,
    )
    assert event["articles_failed"] == 1 and event["status"] == "OK", event
    assert "127.0.0.1" in event["peer"], event
    assert event["duration_ms"] >= 0
    assert not any(marker in line for line in server.lines)
