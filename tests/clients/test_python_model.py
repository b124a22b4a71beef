"""The Python client's conversions and argument handling, without a server:
articles from JSON objects, options and filters, errors, result views."""

from __future__ import annotations

import datetime
import pickle

import grpc
import pytest

import tagwire
from tagwire._common import TLS, ChannelConfig
from tagwire._model import filter_proto, options_proto
from tagwire.v1 import tagging_pb2

UTC = datetime.timezone.utc


def test_from_dict_reads_the_cli_input_format():
    article = tagwire.Article.from_dict(
        {
            "id": "a1",
            "source": "wire",
            "version": "3",  # int64 as the proto3 JSON mapping prints it
            "title": "T",
            "body": "B",
            "language": None,  # null is "not set"
            "published_time": "2026-11-23T15:00:00.123456789Z",
            "metadata": {"desk": "world"},
        }
    )
    assert (article.id, article.source, article.version, article.language) == ("a1", "wire", 3, "")
    assert article.published == datetime.datetime(2026, 11, 23, 15, 0, 0, 123456, tzinfo=UTC)
    message = article.to_proto()
    assert message.title == b"T" and message.metadata["desk"] == "world"
    assert message.published_time.ToJsonString() == "2026-11-23T15:00:00.123456Z"


@pytest.mark.parametrize(
    "published",
    ["2026-11-23T15:00:00Z", "2026-11-23T16:00:00+01:00", "2026-11-23T15:00:00.5Z"],
)
def test_from_dict_accepts_rfc3339(published):
    article = tagwire.Article.from_dict({"body": "B", "published_time": published})
    assert article.published is not None
    assert article.published.replace(microsecond=0) == datetime.datetime(
        2026, 11, 23, 15, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body": "B", "colour": "red"}, "unknown article field 'colour'"),
        ({"body": 5}, "'body' must be a string"),
        ({"body": "B", "version": 2**63}, "does not fit in 64 bits"),
        ({"body": "B", "version": True}, "'version' must be an integer"),
        ({"body": "B", "published_time": "2026-11-23"}, "RFC 3339"),
        ({"body": "B", "published_time": "0001-01-01T00:00:00+01:00"}, "RFC 3339"),
        ({"body": "B", "id": "caf\udce9"}, "id is not valid Unicode"),
        ({"body": "B", "metadata": {"k": 1}}, "'metadata' must be an object of strings"),
        ({"body": "B", "metadata": {"k": "\ud800"}}, "metadata 'k' is not valid Unicode"),
    ],
)
def test_from_dict_rejects_what_an_article_cannot_carry(data, message):
    with pytest.raises(ValueError, match=message):
        tagwire.Article.from_dict(data)


def test_bodies_that_are_not_unicode_still_reach_the_server_as_bytes():
    assert tagwire.Article(body="caf\udce9").to_proto().body == b"caf\xe9"  # surrogateescape
    assert tagwire.Article(body="x\ud800").to_proto().body == b"x\xed\xa0\x80"  # lone surrogate
    assert tagwire.Article(body=b"\xff").to_proto().body == b"\xff"
    naive = tagwire.Article(body="B", published=datetime.datetime(2026, 1, 2, 3, 4, 5))
    assert naive.to_proto().published_time.ToJsonString() == "2026-01-02T03:04:05Z"
    with pytest.raises(ValueError, match="does not fit in 64 bits"):
        tagwire.Article(body="B", version=2**64).to_proto()


def test_kinds_and_filters():
    assert tagwire.Kind.parse("location") is tagwire.Kind.LOCATION
    assert tagwire.Kind.parse(2) is tagwire.Kind.PERSON
    for bad in ("PLACE", "unspecified", 0, 99):
        with pytest.raises(ValueError, match="unknown kind"):
            tagwire.Kind.parse(bad)
    # A lone string is one value, not its characters.
    assert list(options_proto(kinds="LOCATION").kinds) == [tagging_pb2.CONCEPT_KIND_LOCATION]
    request = filter_proto(kinds="person", concept_ids="org:nato", topics="medtop:11000000")
    assert list(request.filter.concept_ids) == ["org:nato"]
    assert list(request.filter.topics) == ["medtop:11000000"]
    assert list(request.filter.kinds) == [tagging_pb2.CONCEPT_KIND_PERSON]
    assert tagwire.Overlap.parse("no-subsumed") is tagwire.Overlap.NO_SUBSUMED


def test_tag_many_refuses_a_single_article():
    with tagwire.Client("127.0.0.1:1") as client:
        for single in ("some text", b"bytes", {"body": "x"}, tagwire.Article(body="x")):
            with pytest.raises(TypeError, match="iterable of articles"):
                client.tag_many(single)  # type: ignore[arg-type]


def test_errors_survive_pickling():
    error = tagwire.ArticleError(
        tagwire.ErrorReason.EMPTY_BODY, "empty", source="s", id="a", version=2, sequence=7
    )
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.reason, copy.message, copy.id, copy.sequence) == (
        tagwire.ErrorReason.EMPTY_BODY,
        "empty",
        "a",
        7,
    )
    assert str(copy) == str(error)
    failure = tagwire.CallError(grpc.StatusCode.UNAVAILABLE, "gone", [tagwire.Article(body="x")])
    copy = pickle.loads(pickle.dumps(failure))
    assert copy.code == grpc.StatusCode.UNAVAILABLE and copy.unanswered[0].body == "x"


def test_result_views():
    message = tagging_pb2.TaggedArticle(id="a", taxonomy_version="0123456789abcdef")
    tag = message.tags.add(concept_id="geo:1", kind=tagging_pb2.CONCEPT_KIND_LOCATION, name="X")
    tag.mentions.add(field=tagging_pb2.FIELD_BODY, text="X", byte_start=3, byte_end=4)
    with_offsets = message.tags.add(concept_id="per:p", kind=tagging_pb2.CONCEPT_KIND_PERSON)
    with_offsets.mentions.add(field=tagging_pb2.FIELD_TITLE, code_point_start=0, code_point_end=2)
    tagged = tagwire.TaggedArticle(message, sequence=4)
    mention = tagged.tags[0].mentions[0]
    # Offsets the producer did not ask for are None, not 0.
    assert (mention.start, mention.end, mention.byte_start, mention.field) == (
        None,
        None,
        3,
        "body",
    )
    assert tagged.tags[1].mentions[0].start == 0 and tagged.tags[1].mentions[0].field == "title"
    assert tagged.locations == [tagged.tags[0]] and tagged.people == [tagged.tags[1]]
    assert tagged.concept_ids == ["geo:1", "per:p"] and tagged.sequence == 4
    assert tagged == tagwire.TaggedArticle(message, sequence=4)
    assert tagged != tagwire.TaggedArticle(message, sequence=5)
    assert "concept_id='geo:1'" in repr(tagged)
    assert tagged.tags[0].attributes.latitude is None


def test_channel_options_the_caller_gives_win():
    config = ChannelConfig("t", None, None, 30, [("grpc.max_receive_message_length", 10)])
    options = dict(config.options)
    assert options["grpc.max_receive_message_length"] == 10
    assert len(config.options) == len(options)  # each key once
    assert "grpc.service_config" in options


def test_tls_takes_pem_text_or_paths(tmp_path):
    pem = "-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n"
    path = tmp_path / "ca.pem"
    path.write_text(pem)
    from tagwire._common import _pem

    assert _pem(pem) == pem.encode() == _pem(path) == _pem(str(path))
    with pytest.raises(ValueError, match="cert and key go together"):
        TLS(cert=pem).credentials()
