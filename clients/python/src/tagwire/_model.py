"""The Python face of tagwire.v1: articles in, tagged articles and errors out.

Results (TaggedArticle, Tag, Mention…) are read-only views of the protobuf
messages with Python conventions: enums instead of integers, `start`/`end`
offsets in code points (so `body[m.start:m.end] == m.text` on a `str` body),
None for "not set". A view reads its message's fields only when asked, so a
stream consumer that looks at a few fields does not pay for converting all of
them. The message itself is `.proto`, for anything the views leave out (and
for the proto3 JSON mapping).
"""

from __future__ import annotations

import datetime
import enum
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import timestamp_pb2

from tagwire.v1 import article_pb2, error_pb2, subscription_service_pb2, tagging_pb2


class Kind(enum.IntEnum):
    """The kind of a taxonomy concept (tagwire.v1.ConceptKind)."""

    UNSPECIFIED = 0
    TOPIC = 1
    PERSON = 2
    ORGANIZATION = 3
    LOCATION = 4
    OTHER = 5

    @classmethod
    def _missing_(cls, value: object) -> Kind:
        return cls.UNSPECIFIED  # a kind added by a newer server

    @classmethod
    def parse(cls, value: Kind | str | int) -> Kind:
        """Kind.LOCATION, "LOCATION", "location" or 4 → Kind.LOCATION.
        Raises ValueError for anything else, UNSPECIFIED included."""
        kind = None
        if isinstance(value, str):
            kind = cls.__members__.get(value.strip().upper())
        elif isinstance(value, int) and value in cls._value2member_map_:
            kind = cls(value)
        if kind is None or kind is cls.UNSPECIFIED:
            names = ", ".join(k.name for k in cls if k is not cls.UNSPECIFIED)
            raise ValueError(f"unknown kind {value!r} (want one of {names})")
        return kind


class Overlap(enum.IntEnum):
    """Which matches are kept when alias matches overlap (tagwire.v1.OverlapPolicy)."""

    UNSPECIFIED = 0
    LEFTMOST_LONGEST = 1
    ALL = 2
    NO_SUBSUMED = 3

    @classmethod
    def parse(cls, value: Overlap | str | int) -> Overlap:
        """Overlap.ALL, "all", "ALL" or 2 → Overlap.ALL."""
        if isinstance(value, str):
            try:
                return cls[value.strip().upper().replace("-", "_")]
            except KeyError:
                raise ValueError(
                    f"unknown overlap policy {value!r} (want leftmost_longest, all or no_subsumed)"
                ) from None
        return cls(value)


class ErrorReason(enum.IntEnum):
    """Why one article could not be tagged (tagwire.v1.ErrorReason)."""

    UNSPECIFIED = 0
    BODY_NOT_UTF8 = 1
    TITLE_NOT_UTF8 = 2
    EMPTY_BODY = 3
    ARTICLE_TOO_LARGE = 4
    MISSING_ID = 5
    TOO_MANY_MENTIONS = 6
    INTERNAL = 7
    INVALID_OPTIONS = 8
    NOT_DELIVERED = 9  # tagged, but the downstream broker did not store it: resend
    UNDECODABLE = 10  # NATS ingest: the message is not an Article
    CONFLICT = 11  # same source/id/version sent recently with another title or body

    @classmethod
    def _missing_(cls, value: object) -> ErrorReason:
        return cls.UNSPECIFIED  # a reason added by a newer server


# ---------------------------------------------------------------------------
# Errors


class TagwireError(Exception):
    """Base class of every error this package raises."""


class CallError(TagwireError):
    """A call failed as a whole: the server is unreachable or shutting down
    (UNAVAILABLE), the token is wrong (UNAUTHENTICATED), a server limit was
    reached (RESOURCE_EXHAUSTED), the deadline passed, …

    `code` is the gRPC status code and `details` the server's message. For a
    stream, `unanswered` holds the articles that were handed to the stream but
    got no result: they were not processed and can be sent again.
    """

    def __init__(
        self, code: grpc.StatusCode, details: str, unanswered: list[Article] | None = None
    ) -> None:
        super().__init__(f"{code.name}: {details}" if details else code.name)
        self.code = code
        self.details = details
        self.unanswered: list[Article] = unanswered if unanswered is not None else []

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.code, self.details, self.unanswered))


class ArticleError(TagwireError):
    """One article could not be tagged (invalid UTF-8, empty, too large…).

    `tag()` raises it. Streams (`tag_many`) yield it in the article's place
    and go on: test with `isinstance(result, ArticleError)` or `result.ok`.
    """

    ok = False

    def __init__(
        self,
        reason: ErrorReason,
        message: str,
        code: grpc.StatusCode = grpc.StatusCode.INVALID_ARGUMENT,
        *,
        source: str = "",
        id: str = "",
        version: int = 0,
        sequence: int | None = None,
    ) -> None:
        super().__init__(f"{reason.name}: {message}" + (f" (article {id!r})" if id else ""))
        self.reason = reason
        self.message = message
        self.code = code
        self.source = source
        self.id = id
        self.version = version
        self.sequence = sequence

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_article_error,
            (
                self.reason,
                self.message,
                self.code,
                self.source,
                self.id,
                self.version,
                self.sequence,
            ),
        )

    @classmethod
    def from_proto(
        cls,
        error: error_pb2.ArticleError,
        *,
        source: str = "",
        id: str = "",
        version: int = 0,
        sequence: int | None = None,
    ) -> ArticleError:
        return cls(
            ErrorReason(error.reason),
            error.message,
            _status_code(error.code),
            source=source,
            id=id,
            version=version,
            sequence=sequence,
        )


def _rebuild_article_error(
    reason: ErrorReason,
    message: str,
    code: grpc.StatusCode,
    source: str,
    article_id: str,
    version: int,
    sequence: int | None,
) -> ArticleError:
    return ArticleError(
        reason, message, code, source=source, id=article_id, version=version, sequence=sequence
    )


def _status_code(number: int) -> grpc.StatusCode:
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    return grpc.StatusCode.UNKNOWN


# ---------------------------------------------------------------------------
# Input


@dataclass(slots=True)
class Article:
    """A news article to tag.

    `body` (and `title`) are `str`, or `bytes` holding UTF-8; bytes that are
    not valid UTF-8 reach the server, which answers with an ArticleError
    (BODY_NOT_UTF8). `id` identifies the article within `source`; left empty,
    the client fills in a random UUID. A correction re-sends the same source
    and id with `version + 1`.
    """

    body: str | bytes
    title: str | bytes = ""
    id: str = ""
    source: str = ""
    version: int = 0
    language: str = ""
    published: datetime.datetime | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Article:
        """An article from a JSON object with the keys of the `tagwire`
        commands' JSONL input: id, source, version, title, body, language,
        published_time (RFC 3339) and metadata; null means not set. Title
        and body are plain strings (this is not the proto3 JSON mapping, in
        which they are base64). Raises ValueError, naming the key, for
        unknown keys and values the article cannot carry."""
        known = {"id", "source", "version", "title", "body", "language", "published_time"}
        unknown = sorted(set(data) - known - {"metadata", "publishedTime"})
        if unknown:
            raise ValueError(f"unknown article field {unknown[0]!r}")
        fields = {key: value for key, value in data.items() if value is not None}
        for key in ("id", "source", "language", "title", "body"):
            value = fields.get(key, "")
            if not isinstance(value, str):
                raise ValueError(f"{key!r} must be a string")
            if key in ("id", "source", "language"):
                _check_unicode(key, value)
        version = fields.get("version", 0)
        if isinstance(version, str) and version.strip().lstrip("-").isdigit():
            version = int(version)  # the proto3 JSON mapping writes int64 as a string
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValueError("'version' must be an integer")
        if not -(2**63) <= version < 2**63:
            raise ValueError(f"'version' {version} does not fit in 64 bits")
        metadata = fields.get("metadata", {})
        if not isinstance(metadata, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            raise ValueError("'metadata' must be an object of strings")
        for key, value in metadata.items():
            _check_unicode(f"metadata key {key!r}", key)
            _check_unicode(f"metadata {key!r}", value)
        published = fields.get("published_time", fields.get("publishedTime"))
        if published is not None:
            published = _parse_rfc3339(published)
        return cls(
            body=fields.get("body", ""),
            title=fields.get("title", ""),
            id=fields.get("id", ""),
            source=fields.get("source", ""),
            version=version,
            language=fields.get("language", ""),
            published=published,
            metadata=dict(metadata),
        )

    def to_proto(self) -> article_pb2.Article:
        """The tagwire.v1.Article message; an empty id becomes a random UUID
        and a naive `published` is taken as UTC. Raises ValueError when a
        field cannot be carried (id, source, language or metadata that is not
        valid Unicode, a version beyond 64 bits)."""
        for key in ("id", "source", "language"):
            _check_unicode(key, getattr(self, key))
        for key, value in self.metadata.items():
            _check_unicode(f"metadata {key!r}", key + value)
        if not -(2**63) <= self.version < 2**63:
            raise ValueError(f"'version' {self.version} does not fit in 64 bits")
        message = article_pb2.Article(
            source=self.source,
            id=self.id or uuid.uuid4().hex,
            version=self.version,
            title=_utf8(self.title),
            body=_utf8(self.body),
            language=self.language,
            metadata=self.metadata,
        )
        if self.published is not None:
            published = self.published
            if published.tzinfo is None:
                published = published.replace(tzinfo=datetime.timezone.utc)
            message.published_time.CopyFrom(_timestamp(published))
        return message


def _check_unicode(key: str, value: str) -> None:
    """Protobuf string fields must be valid Unicode: no lone surrogates."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(
            f"{key} is not valid Unicode (a lone surrogate at {error.start})"
        ) from None


def _parse_rfc3339(value: object) -> datetime.datetime:
    """An RFC 3339 time, parsed as protobuf's JSON mapping (and the C++
    CLI) parse it; nanoseconds are cut to microseconds."""
    stamp = timestamp_pb2.Timestamp()
    try:
        if not isinstance(value, str):
            raise ValueError
        stamp.FromJsonString(value)
    except ValueError:
        raise ValueError(
            f"'published_time' must be an RFC 3339 time such as "
            f'"2026-11-23T15:00:00Z", not {value!r}'
        ) from None
    return stamp.ToDatetime(tzinfo=datetime.timezone.utc)


ArticleLike = Article | Mapping[str, Any] | str | bytes
"""What the tagging calls accept: an Article, a dict with Article's fields
(see Article.from_dict), or a body (`str`, or `bytes` of UTF-8)."""


def to_article(item: ArticleLike) -> Article:
    if isinstance(item, Article):
        return item
    if isinstance(item, (str, bytes)):
        return Article(body=item)
    if isinstance(item, Mapping):
        return Article.from_dict(item)
    raise TypeError(f"cannot tag a {type(item).__name__}: want Article, dict, str or bytes")


def _utf8(text: str | bytes) -> bytes:
    if isinstance(text, bytes):
        return text
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        pass
    # Text that is not valid Unicode still goes to the server, which answers
    # with a clear per-article reason (BODY_NOT_UTF8) instead of this client
    # failing the whole stream: bytes decoded with errors="surrogateescape"
    # get their original bytes back, other lone surrogates (a JSON "\ud800")
    # their 3-byte form.
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _timestamp(moment: datetime.datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def kind_protos(kinds: Iterable[Kind | str | int] | Kind | str | None) -> list[Any]:
    """ConceptKind values for kinds given as Kind, name or number (one, or
    an iterable of them)."""
    if isinstance(kinds, (str, int)):
        kinds = [kinds]
    return [int(Kind.parse(k)) for k in kinds or ()]


def _strings(values: Iterable[str] | str | None) -> list[str]:
    """A lone string is one value, not an iterable of characters."""
    if isinstance(values, str):
        return [values]
    return list(values or ())


def filter_proto(
    *,
    kinds: Iterable[Kind | str | int] | Kind | str | None = None,
    concept_ids: Iterable[str] | str | None = None,
    topics: Iterable[str] | str | None = None,
    min_score: float = 0.0,
) -> subscription_service_pb2.SubscribeRequest:
    """The SubscribeRequest for the keyword arguments of subscribe()."""
    return subscription_service_pb2.SubscribeRequest(
        filter=subscription_service_pb2.SubscriptionFilter(
            kinds=kind_protos(kinds),
            concept_ids=_strings(concept_ids),
            topics=_strings(topics),
            min_score=min_score,
        )
    )


def options_proto(
    *,
    kinds: Iterable[Kind | str | int] | Kind | str | None = None,
    min_score: float = 0.0,
    overlap: Overlap | str | int | None = None,
    include_mentions: bool = True,
    explain: bool = False,
) -> tagging_pb2.TagOptions:
    """TagOptions for the keyword arguments of the tagging calls. Offsets in
    code points are always requested: they are what Mention.start/end hold."""
    options = tagging_pb2.TagOptions(
        kinds=kind_protos(kinds),
        min_score=min_score,
        overlap_policy=int(Overlap.parse(overlap)) if overlap is not None else 0,  # type: ignore[arg-type]
        offset_units=[tagging_pb2.OFFSET_UNIT_CODE_POINTS],
        explain=explain,
    )
    if not include_mentions:
        options.include_mentions = False
    return options


# ---------------------------------------------------------------------------
# Results


class _View:
    """A read-only view of a protobuf result message (`proto`). Fields are
    read from the message when asked for, so results nobody looks into cost
    nothing to convert."""

    __slots__ = ("proto",)
    _fields: tuple[str, ...] = ()

    def __init__(self, proto: Any) -> None:
        self.proto = proto

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and all(
            getattr(self, name) == getattr(other, name) for name in self._fields
        )

    __hash__ = None  # type: ignore[assignment]


class Mention(_View):
    """One occurrence of a concept in the article.

    `start`/`end` are code point offsets into the field's text, so
    `article.body[m.start:m.end] == m.text` for a `str` body;
    `byte_start`/`byte_end` index its UTF-8 bytes.
    """

    __slots__ = ()
    proto: tagging_pb2.Mention
    _fields = ("field", "text", "start", "end", "byte_start", "byte_end", "alias")

    @property
    def field(self) -> str:
        """ "title" or "body"."""
        return "title" if self.proto.field == tagging_pb2.FIELD_TITLE else "body"

    @property
    def text(self) -> str:
        """The matched text as it appears in the article."""
        return self.proto.text

    @property
    def start(self) -> int | None:
        """Start, in code points, inclusive. None on a subscription result
        whose producer did not ask for code point offsets."""
        return self.proto.code_point_start if self.proto.HasField("code_point_start") else None

    @property
    def end(self) -> int | None:
        """End, in code points, exclusive (None as for `start`)."""
        return self.proto.code_point_end if self.proto.HasField("code_point_end") else None

    @property
    def byte_start(self) -> int:
        """Start, in bytes of the UTF-8 text, inclusive."""
        return self.proto.byte_start

    @property
    def byte_end(self) -> int:
        """End, in bytes of the UTF-8 text, exclusive."""
        return self.proto.byte_end

    @property
    def alias(self) -> str:
        """The taxonomy alias that matched, as written in the taxonomy."""
        return self.proto.alias


class Attributes(_View):
    """A concept's attributes from the taxonomy; fields that do not apply to
    its kind are empty, 0 or None."""

    __slots__ = ()
    proto: tagging_pb2.Attributes
    _fields = (
        "country_code",
        "admin1",
        "iptc_code",
        "geonames_id",
        "population",
        "latitude",
        "longitude",
        "extra",
    )

    @property
    def country_code(self) -> str:
        """ISO 3166-1 alpha-2, e.g. "FR"."""
        return self.proto.country_code

    @property
    def admin1(self) -> str:
        """GeoNames first-level administrative division code."""
        return self.proto.admin1

    @property
    def iptc_code(self) -> str:
        """IPTC Media Topic code, e.g. "medtop:11000000"."""
        return self.proto.iptc_code

    @property
    def geonames_id(self) -> int:
        return self.proto.geonames_id

    @property
    def population(self) -> int:
        return self.proto.population

    @property
    def latitude(self) -> float | None:
        return self.proto.latitude if self.proto.HasField("latitude") else None

    @property
    def longitude(self) -> float | None:
        return self.proto.longitude if self.proto.HasField("longitude") else None

    @property
    def extra(self) -> dict[str, str]:
        """Other attributes the taxonomy gives the concept."""
        return dict(self.proto.extra)


class Tag(_View):
    """A concept found in the article, scored in [0, 1]."""

    __slots__ = ("_mentions",)
    proto: tagging_pb2.Tag
    _fields = (
        "concept_id",
        "kind",
        "name",
        "score",
        "count",
        "in_title",
        "broader_id",
        "attributes",
        "mentions",
        "explanation",
    )

    def __init__(self, proto: tagging_pb2.Tag) -> None:
        super().__init__(proto)
        self._mentions: tuple[Mention, ...] | None = None

    @property
    def concept_id(self) -> str:
        """The concept's stable id, e.g. "geo:2988507" or "org:nato"."""
        return self.proto.concept_id

    @property
    def kind(self) -> Kind:
        return Kind(self.proto.kind)

    @property
    def name(self) -> str:
        """The concept's canonical name."""
        return self.proto.name

    @property
    def score(self) -> float:
        """Relevance to the article in [0, 1]; higher is more central."""
        return self.proto.score

    @property
    def count(self) -> int:
        """Mentions in title and body (filled even without mention lists)."""
        return self.proto.count

    @property
    def in_title(self) -> bool:
        return self.proto.in_title

    @property
    def broader_id(self) -> str:
        """The broader concept (a city's country), or ""."""
        return self.proto.broader_id

    @property
    def attributes(self) -> Attributes:
        return Attributes(self.proto.attributes)

    @property
    def mentions(self) -> tuple[Mention, ...]:
        """Title first, then body, each in text order; () when mentions were
        not requested."""
        if self._mentions is None:
            self._mentions = tuple(Mention(m) for m in self.proto.mentions)
        return self._mentions

    @property
    def explanation(self) -> str:
        """How the tag was resolved and scored (explain=True only)."""
        return self.proto.explanation


class Topic(_View):
    """A subject the article is about (an IPTC Media Topic), scored in [0, 1]."""

    __slots__ = ()
    proto: tagging_pb2.Topic
    _fields = (
        "concept_id",
        "name",
        "iptc_code",
        "score",
        "broader_id",
        "matched_keywords",
        "explanation",
    )

    @property
    def concept_id(self) -> str:
        """E.g. "topic:medtop:11000000"."""
        return self.proto.concept_id

    @property
    def name(self) -> str:
        return self.proto.name

    @property
    def iptc_code(self) -> str:
        """E.g. "medtop:11000000"."""
        return self.proto.iptc_code

    @property
    def score(self) -> float:
        return self.proto.score

    @property
    def broader_id(self) -> str:
        return self.proto.broader_id

    @property
    def matched_keywords(self) -> tuple[str, ...]:
        return tuple(self.proto.matched_keywords)

    @property
    def explanation(self) -> str:
        return self.proto.explanation


class TaggedArticle(_View):
    """The result of tagging one article: its tags and topics, each by
    descending score. `sequence` is the article's position on a stream (None
    for `tag()` and subscriptions). `proto` is the tagwire.v1.TaggedArticle
    message it reads from (e.g. for json_format.MessageToJson)."""

    __slots__ = ("sequence", "_tags", "_topics")
    proto: tagging_pb2.TaggedArticle
    _fields = ("source", "id", "version", "taxonomy_version", "tags", "topics", "sequence")

    ok = True

    def __init__(self, proto: tagging_pb2.TaggedArticle, sequence: int | None = None) -> None:
        super().__init__(proto)
        self.sequence = sequence
        self._tags: tuple[Tag, ...] | None = None
        self._topics: tuple[Topic, ...] | None = None

    @classmethod
    def from_proto(
        cls, tagged: tagging_pb2.TaggedArticle, sequence: int | None = None
    ) -> TaggedArticle:
        return cls(tagged, sequence)

    @property
    def source(self) -> str:
        return self.proto.source

    @property
    def id(self) -> str:
        return self.proto.id

    @property
    def version(self) -> int:
        return self.proto.version

    @property
    def taxonomy_version(self) -> str:
        """The taxonomy that produced this result (16 hex digits)."""
        return self.proto.taxonomy_version

    @property
    def tags(self) -> tuple[Tag, ...]:
        """The concepts found, by descending score."""
        if self._tags is None:
            self._tags = tuple(Tag(t) for t in self.proto.tags)
        return self._tags

    @property
    def topics(self) -> tuple[Topic, ...]:
        """The topics, by descending score."""
        if self._topics is None:
            self._topics = tuple(Topic(t) for t in self.proto.topics)
        return self._topics

    def of_kind(self, kind: Kind | str) -> list[Tag]:
        """The tags of one kind, by descending score."""
        wanted = Kind.parse(kind)
        return [t for t in self.tags if t.kind == wanted]

    @property
    def people(self) -> list[Tag]:
        return self.of_kind(Kind.PERSON)

    @property
    def organizations(self) -> list[Tag]:
        return self.of_kind(Kind.ORGANIZATION)

    @property
    def locations(self) -> list[Tag]:
        return self.of_kind(Kind.LOCATION)

    @property
    def concept_ids(self) -> list[str]:
        """Ids of the tags, by descending score (topics not included)."""
        return [t.concept_id for t in self.proto.tags]


Result = TaggedArticle | ArticleError
"""What a stream yields for each article, in order: its TaggedArticle, or the
ArticleError that says why it has none. Both have `.ok`, `.id` and `.sequence`."""
