"""The asyncio tagwire client: tagwire.Client's calls as coroutines and
async iterators, on grpc.aio.

    import tagwire.aio

    async with tagwire.aio.Client("127.0.0.1:50051") as client:
        result = await client.tag("NATO ministers met in Kyiv.")
        async for result in client.tag_many(articles):  # Iterable or AsyncIterable
            ...
        async for tagged in client.subscribe(kinds=["LOCATION"]):
            ...

A Client belongs to the event loop it was created in; share it between the
loop's tasks.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from types import TracebackType
from typing import Any

import grpc
import grpc.aio

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
    CallError,
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
    """A connection to a tagwired server, for asyncio. The arguments and
    behaviour are those of tagwire.Client."""

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
            self._channel = grpc.aio.insecure_channel(target, options=self._config.options)
        else:
            self._channel = grpc.aio.secure_channel(
                target, self._config.credentials, options=self._config.options
            )
        self._tagging = tagging_service_pb2_grpc.TaggingServiceStub(self._channel)
        self._subscription = subscription_service_pb2_grpc.SubscriptionServiceStub(self._channel)
        self._admin = admin_service_pb2_grpc.AdminServiceStub(self._channel)

    async def close(self) -> None:
        """Closes the connection; calls in progress end with CANCELLED."""
        await self._channel.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def tag(
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
        """Tags one article; see tagwire.Client.tag."""
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
            response = await self._tagging.Tag(
                request,
                timeout=self._config.call_timeout(timeout),
                metadata=self._config.metadata,
            )
        except grpc.RpcError as error:
            raise call_error(error, article=request.article) from None
        return TaggedArticle.from_proto(response.tagged_article)

    def tag_many(
        self,
        articles: Iterable[ArticleLike] | AsyncIterable[ArticleLike],
        *,
        kinds: Iterable[Kind | str] | Kind | str | None = None,
        min_score: float = 0.0,
        overlap: Overlap | str | None = None,
        include_mentions: bool = True,
        explain: bool = False,
        timeout: float | None = None,
    ) -> ResultStream:
        """Tags `articles` (an iterable or async iterable) on one stream;
        `async for` over the result yields one Result per article, in order.
        See tagwire.Client.tag_many."""
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
        """Tagged articles that pass the filter, as an async iterator; see
        tagwire.Client.subscribe."""
        request = filter_proto(
            kinds=kinds, concept_ids=concept_ids, topics=topics, min_score=min_score
        )
        call = self._subscription.Subscribe(
            request, timeout=timeout, metadata=self._config.metadata
        )
        return Subscription(call)

    async def taxonomy(self, *, timeout: float | None = None) -> admin_service_pb2.TaxonomyInfo:
        """The taxonomy being served; see tagwire.Client.taxonomy."""
        response = await self._unary(
            self._admin.GetTaxonomy, admin_service_pb2.GetTaxonomyRequest(), timeout
        )
        return response.taxonomy  # type: ignore[no-any-return]

    async def reload_taxonomy(
        self, *, timeout: float | None = None
    ) -> admin_service_pb2.ReloadTaxonomyResponse:
        """Reloads the server's taxonomy; see tagwire.Client.reload_taxonomy."""
        return await self._unary(  # type: ignore[no-any-return]
            self._admin.ReloadTaxonomy, admin_service_pb2.ReloadTaxonomyRequest(), timeout
        )

    async def stats(
        self, *, timeout: float | None = None
    ) -> admin_service_pb2.GetServerStatsResponse:
        """The server's counters; see tagwire.Client.stats."""
        return await self._unary(  # type: ignore[no-any-return]
            self._admin.GetServerStats, admin_service_pb2.GetServerStatsRequest(), timeout
        )

    async def _unary(self, method: Any, request: Any, timeout: float | None) -> Any:
        try:
            return await method(
                request,
                timeout=self._config.call_timeout(timeout),
                metadata=self._config.metadata,
            )
        except grpc.RpcError as error:
            raise call_error(error) from None


class ResultStream(AsyncIterator[Result]):
    """The results of Client.tag_many, in input order; see
    tagwire.client.ResultStream. A sync input iterable is read on the event
    loop: keep it quick, or pass an async iterable. Use from one task."""

    def __init__(
        self,
        stub: tagging_service_pb2_grpc.TaggingServiceStub,
        config: ChannelConfig,
        articles: Iterable[ArticleLike] | AsyncIterable[ArticleLike],
        options: tagging_pb2.TagOptions,
        timeout: float | None,
    ) -> None:
        self._input = StreamInput(articles, options, config.max_message_bytes)
        self._done = False
        self._cancelled = False
        self._call = stub.TagStream(
            self._input.arequests(), timeout=timeout, metadata=config.metadata
        )

    def __aiter__(self) -> ResultStream:
        return self

    async def __anext__(self) -> Result:
        # An article refused before sending (too large) has its error in its
        # place: after the results before it, before the results after it.
        if (ready := self._input.ready()) is not None:
            return ready
        if self._done:
            raise StopAsyncIteration
        try:
            response = await self._call.read()
        except grpc.RpcError as error:
            self._done = True
            failure = call_error(error, unanswered=self._input.close())
            raise failure from self._input.take_input_error()
        except asyncio.CancelledError:
            if not self._cancelled:
                raise  # the task itself is being cancelled
            # grpc.aio's answer to reading a call cancelled by cancel():
            # the same CallError the sync client raises.
            self._done = True
            raise CallError(
                grpc.StatusCode.CANCELLED, "cancelled by the client", self._input.close()
            ) from None
        if response is grpc.aio.EOF:
            self._done = True
            if (ready := self._input.ready()) is not None:
                return ready  # the input's last articles were too large
            if (input_error := self._input.take_input_error()) is not None:
                raise input_error
            raise StopAsyncIteration
        return self._input.result(response)

    def cancel(self) -> None:
        """Abandons the stream: articles without a result are not processed."""
        self._cancelled = True
        self._call.cancel()

    async def __aenter__(self) -> ResultStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.cancel()

    def __del__(self) -> None:
        call = getattr(self, "_call", None)
        if call is not None and not call.done():
            try:
                call.cancel()
            except RuntimeError:  # the event loop is already closed
                pass


class Subscription(AsyncIterator[TaggedArticle]):
    """Tagged articles as the server tags them, until cancel() (or leaving an
    `async with` block)."""

    def __init__(self, call: Any) -> None:
        self._call = call
        self._cancelled = False

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> TaggedArticle:
        try:
            response = await self._call.read()
        except grpc.RpcError as error:
            if self._cancelled and error.code() == grpc.StatusCode.CANCELLED:
                raise StopAsyncIteration from None
            raise call_error(error) from None
        except asyncio.CancelledError:
            if self._cancelled:  # grpc.aio's answer to reading a cancelled call
                raise StopAsyncIteration from None
            raise
        if response is grpc.aio.EOF:
            raise StopAsyncIteration
        return TaggedArticle.from_proto(response.tagged_article)

    def cancel(self) -> None:
        self._cancelled = True
        self._call.cancel()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.cancel()
