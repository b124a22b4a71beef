"""The synchronous tagwire client (for asyncio, see tagwire.aio).

    import tagwire

    with tagwire.Client("127.0.0.1:50051") as client:
        result = client.tag("NATO ministers met in Kyiv.", title="Ministers meet")
        for tag in result.tags:
            print(tag.kind.name, tag.concept_id, tag.name, round(tag.score, 2))

        for result in client.tag_many(articles):   # a stream, in order
            if result.ok:
                ...
            else:
                print(result.id, result.reason.name)  # one article failed; the stream goes on

A Client is thread-safe: share one per process (it holds one HTTP/2
connection). Close it, or use it as a context manager.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any

import grpc

from tagwire._common import (
    DEFAULT_MAX_MESSAGE_BYTES,
    DEFAULT_TARGET,
    DEFAULT_TIMEOUT,
    TLS,
    ChannelConfig,
    StreamInput,
    call_error,
    one_article,
    tag_request,
)
from tagwire._model import (
    Article,
    ArticleLike,
    Kind,
    Overlap,
    Result,
    TaggedArticle,
    filter_proto,
    options_proto,
)
from tagwire.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    subscription_service_pb2_grpc,
    tagging_pb2,
    tagging_service_pb2_grpc,
)


class Client:
    """A connection to a tagwired server.

    `target` is "host:port" (or "unix:/path"). `token` is sent as a bearer
    token on every call. `tls` is True (system roots) or a TLS (own CA,
    client certificate for mTLS); None (the default) is plaintext to a server
    on this host only (gRPC local credentials refuse any other peer, so a
    token never crosses a network in the clear); False is plaintext to any
    host (for a server run with --allow_insecure_remote). `timeout` is the
    default deadline of unary calls in seconds (None: no deadline); streams
    have no deadline unless given one per call. `options` are extra gRPC
    channel options; they win over the client's own.

    `max_message_bytes` is the largest request sent (default 8 MiB, the
    server's default --max_message_bytes): a larger article would make the
    server end the call, so it gets an ArticleError ARTICLE_TOO_LARGE
    without being sent (in its place on a stream, which goes on); 0 turns
    the check off.

    Tag and the admin reads are retried by gRPC when the server is
    UNAVAILABLE (restarting, connection lost), with exponential backoff.
    """

    def __init__(
        self,
        target: str = DEFAULT_TARGET,
        *,
        token: str | None = None,
        tls: TLS | bool | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        options: list[tuple[str, Any]] | None = None,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        self._config = ChannelConfig(target, token, tls, timeout, options, max_message_bytes)
        if self._config.credentials is None:
            self._channel = grpc.insecure_channel(target, options=self._config.options)
        else:
            self._channel = grpc.secure_channel(
                target, self._config.credentials, options=self._config.options
            )
        self._tagging = tagging_service_pb2_grpc.TaggingServiceStub(self._channel)
        self._subscription = subscription_service_pb2_grpc.SubscriptionServiceStub(self._channel)
        self._admin = admin_service_pb2_grpc.AdminServiceStub(self._channel)

    # -- lifecycle -----------------------------------------------------------

    def close(self) -> None:
        """Closes the connection; calls in progress end with CANCELLED."""
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- tagging -------------------------------------------------------------

    def tag(
        self,
        body: str | bytes | Article | Mapping[str, Any],
        *,
        title: str | bytes = "",
        id: str = "",
        source: str = "",
        version: int = 0,
        language: str = "",
        published: datetime.datetime | None = None,
        metadata: dict[str, str] | None = None,
        kinds: Iterable[Kind | str] | Kind | str | None = None,
        min_score: float = 0.0,
        overlap: Overlap | str | None = None,
        include_mentions: bool = True,
        explain: bool = False,
        timeout: float | None = None,
    ) -> TaggedArticle:
        """Tags one article and returns its result.

        `body` is the text (or a whole Article, or a dict of its fields;
        then the other article fields must be left out). An empty `id` gets
        a random UUID. `kinds` keeps only tags (and topics) of those kinds;
        `min_score` drops lower scores; `overlap` is leftmost_longest
        (default), all or no_subsumed; `explain` fills Tag.explanation.

        Raises ArticleError when the article cannot be tagged (its `reason`
        says why: BODY_NOT_UTF8, EMPTY_BODY, ARTICLE_TOO_LARGE, …) and
        CallError when the call fails (code UNAVAILABLE, UNAUTHENTICATED…).
        """
        article = one_article(body, title, id, source, version, language, published, metadata)
        options = options_proto(
            kinds=kinds,
            min_score=min_score,
            overlap=overlap,
            include_mentions=include_mentions,
            explain=explain,
        )
        request = tag_request(article, options, self._config.max_message_bytes)
        try:
            response = self._tagging.Tag(
                request,
                timeout=self._config.call_timeout(timeout),
                metadata=self._config.metadata,
            )
        except grpc.RpcError as error:
            raise call_error(error, article=request.article) from None
        return TaggedArticle.from_proto(response.tagged_article)

    def tag_many(
        self,
        articles: Iterable[ArticleLike],
        *,
        kinds: Iterable[Kind | str] | Kind | str | None = None,
        min_score: float = 0.0,
        overlap: Overlap | str | None = None,
        include_mentions: bool = True,
        explain: bool = False,
        timeout: float | None = None,
    ) -> ResultStream:
        """Tags `articles` on one stream and yields one Result per article,
        in input order: its TaggedArticle, or its ArticleError (a bad article
        never ends the stream).

        `articles` may be any iterable, including a generator of millions:
        it is read only as fast as the server takes articles (HTTP/2 flow
        control), so what is held in memory is bounded by gRPC's flow-control
        windows (a few MB), not by the input. Each item is an
        Article, a dict with its fields, or a `str` body; an empty id gets a
        random UUID. The options are those of tag().

        Raises CallError if the stream fails (e.g. UNAVAILABLE when the
        server shuts down); its `unanswered` lists the articles taken from
        `articles` that got no result, which were not processed: send them
        again, then the rest of `articles`. An exception raised by `articles`
        itself (or a ValueError for an item that cannot be sent) is re-raised
        after every article read before it has its result.
        """
        options = options_proto(
            kinds=kinds,
            min_score=min_score,
            overlap=overlap,
            include_mentions=include_mentions,
            explain=explain,
        )
        return ResultStream(self._tagging, self._config, articles, options, timeout)

    def subscribe(
        self,
        *,
        kinds: Iterable[Kind | str] | Kind | str | None = None,
        concept_ids: Iterable[str] | str | None = None,
        topics: Iterable[str] | str | None = None,
        min_score: float = 0.0,
        timeout: float | None = None,
    ) -> Subscription:
        """Receives every article tagged from now on (by any client) that
        passes the filter, until cancelled: iterate over the result.

        All conditions must hold; left out, a condition passes everything.
        `kinds`: a tag of one of these kinds; `concept_ids`: one of these
        concepts ("org:nato"); `topics`: one of these IPTC codes
        ("medtop:11000000") or topic ids; `min_score`: the counted tags and
        topics score at least this. A subscriber that reads too slowly is
        ended by the server with CallError RESOURCE_EXHAUSTED. cancel() (or
        leaving a `with` block) ends the iteration cleanly.
        """
        request = filter_proto(
            kinds=kinds, concept_ids=concept_ids, topics=topics, min_score=min_score
        )
        call = self._subscription.Subscribe(
            request, timeout=timeout, metadata=self._config.metadata
        )
        return Subscription(call)

    # -- admin ---------------------------------------------------------------

    def taxonomy(self, *, timeout: float | None = None) -> admin_service_pb2.TaxonomyInfo:
        """The taxonomy being served: version, sources, concept counts."""
        response = self._unary(
            self._admin.GetTaxonomy, admin_service_pb2.GetTaxonomyRequest(), timeout
        )
        return response.taxonomy  # type: ignore[no-any-return]

    def reload_taxonomy(
        self, *, timeout: float | None = None
    ) -> admin_service_pb2.ReloadTaxonomyResponse:
        """Reloads the server's taxonomy files; a bad file raises CallError
        (FAILED_PRECONDITION, with file:line) and the old taxonomy stays."""
        return self._unary(  # type: ignore[no-any-return]
            self._admin.ReloadTaxonomy, admin_service_pb2.ReloadTaxonomyRequest(), timeout
        )

    def stats(self, *, timeout: float | None = None) -> admin_service_pb2.GetServerStatsResponse:
        """The server's counters: articles tagged and failed, active streams…"""
        return self._unary(  # type: ignore[no-any-return]
            self._admin.GetServerStats, admin_service_pb2.GetServerStatsRequest(), timeout
        )

    def _unary(self, method: Any, request: Any, timeout: float | None) -> Any:
        try:
            return method(
                request,
                timeout=self._config.call_timeout(timeout),
                metadata=self._config.metadata,
            )
        except grpc.RpcError as error:
            raise call_error(error) from None


class ResultStream(Iterator[Result]):
    """The results of Client.tag_many, in input order. Iterating drives the
    stream. cancel() (or leaving a `with` block, or dropping the last
    reference) abandons it: iterating then raises CallError CANCELLED with
    the articles left unanswered. Iterate from one thread.

    The input iterable is read on gRPC's sending thread, not the caller's:
    an iterator bound to one thread (a sqlite cursor, say) should be read
    into articles first.
    """

    def __init__(
        self,
        stub: tagging_service_pb2_grpc.TaggingServiceStub,
        config: ChannelConfig,
        articles: Iterable[ArticleLike],
        options: tagging_pb2.TagOptions,
        timeout: float | None,
    ) -> None:
        self._input = StreamInput(articles, options, config.max_message_bytes)
        self._call = stub.TagStream(
            self._input.requests(), timeout=timeout, metadata=config.metadata
        )

    def __iter__(self) -> ResultStream:
        return self

    def __next__(self) -> Result:
        # An article refused before sending (too large) has its error in its
        # place: after the results before it, before the results after it.
        if (ready := self._input.ready()) is not None:
            return ready
        try:
            response = next(self._call)
        except StopIteration:
            if (ready := self._input.ready()) is not None:
                return ready  # the input's last articles were too large
            if (input_error := self._input.take_input_error()) is not None:
                raise input_error from None
            raise
        except grpc.RpcError as error:
            failure = call_error(error, unanswered=self._input.close(wait=1.0))
            raise failure from self._input.take_input_error()
        return self._input.result(response)

    def cancel(self) -> None:
        """Abandons the stream: articles without a result are not processed."""
        self._call.cancel()

    def __enter__(self) -> ResultStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()

    def __del__(self) -> None:
        call = getattr(self, "_call", None)
        if call is not None:
            call.cancel()


class Subscription(Iterator[TaggedArticle]):
    """Tagged articles as the server tags them, until cancel() (or leaving a
    `with` block), after which iteration stops cleanly."""

    def __init__(self, call: Any) -> None:
        self._call = call
        self._cancelled = False

    def __iter__(self) -> Subscription:
        return self

    def __next__(self) -> TaggedArticle:
        try:
            response = next(self._call)
        except grpc.RpcError as error:
            if self._cancelled and error.code() == grpc.StatusCode.CANCELLED:
                raise StopIteration from None
            raise call_error(error) from None
        return TaggedArticle.from_proto(response.tagged_article)

    def cancel(self) -> None:
        self._cancelled = True
        self._call.cancel()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()
