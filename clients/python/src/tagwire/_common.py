"""What the sync and asyncio clients share: channel options, credentials,
call metadata, argument handling, and turning gRPC failures and stream
responses into this package's errors and results."""

from __future__ import annotations

import collections
import dataclasses
import datetime
import json
import os
import threading
from collections.abc import AsyncIterable, AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from tagwire._model import (
    Article,
    ArticleError,
    ArticleLike,
    CallError,
    ErrorReason,
    Result,
    TaggedArticle,
    TagwireError,
    to_article,
)
from tagwire.v1 import article_pb2, error_pb2, tagging_pb2, tagging_service_pb2

DEFAULT_TARGET = "127.0.0.1:50051"
"""Where tagwired listens by default."""

DEFAULT_TIMEOUT = 30.0
"""Default deadline of unary calls, in seconds. Streams have none."""

DEFAULT_MAX_MESSAGE_BYTES = 8 << 20
"""The largest request sent, tagwired's default --max_message_bytes."""

# Tag and the admin reads are idempotent: a call that failed with UNAVAILABLE
# (server restarting, connection lost before the call got through) is retried
# by gRPC itself with exponential backoff. Streams and ReloadTaxonomy are not.
_RETRY_POLICY = {
    "maxAttempts": 5,
    "initialBackoff": "0.1s",
    "maxBackoff": "2s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}
_SERVICE_CONFIG = json.dumps(
    {
        "methodConfig": [
            {
                "name": [
                    {"service": "tagwire.v1.TaggingService", "method": "Tag"},
                    {"service": "tagwire.v1.AdminService", "method": "GetTaxonomy"},
                    {"service": "tagwire.v1.AdminService", "method": "GetServerStats"},
                ],
                "retryPolicy": _RETRY_POLICY,
            }
        ]
    }
)

_ARTICLE_ERROR_KEY = "tagwire-article-error-bin"


@dataclass(frozen=True)
class TLS:
    """TLS settings. `ca` is the PEM of the certificate authority that signed
    the server's certificate (None: the system's roots); `cert` and `key` are
    the client's PEM certificate and key, for servers that require mTLS.
    Each is the PEM itself (bytes) or a path to a file holding it.
    `server_name` overrides the name checked against the server's certificate."""

    ca: bytes | str | os.PathLike[str] | None = None
    cert: bytes | str | os.PathLike[str] | None = None
    key: bytes | str | os.PathLike[str] | None = None
    server_name: str | None = None

    def credentials(self) -> grpc.ChannelCredentials:
        if (self.cert is None) != (self.key is None):
            raise ValueError("TLS: cert and key go together (both or neither)")
        return grpc.ssl_channel_credentials(
            root_certificates=_pem(self.ca),
            private_key=_pem(self.key),
            certificate_chain=_pem(self.cert),
        )


def _pem(value: bytes | str | os.PathLike[str] | None) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str) and value.lstrip().startswith("-----BEGIN"):
        return value.encode()
    with open(value, "rb") as file:
        return file.read()


class ChannelConfig:
    """How a client reaches the server: target, credentials, token, timeout."""

    def __init__(
        self,
        target: str,
        token: str | None,
        tls: TLS | bool | None,
        timeout: float | None,
        options: list[tuple[str, Any]] | None,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.max_message_bytes = max_message_bytes
        self.metadata: tuple[tuple[str, str], ...] = (
            (("authorization", f"Bearer {token}"),) if token else ()
        )
        self.credentials: grpc.ChannelCredentials | None = None
        merged: dict[str, Any] = {
            "grpc.service_config": _SERVICE_CONFIG,
            "grpc.enable_retries": 1,
            # A tagged 1 MiB article with every mention listed can exceed
            # gRPC's default 4 MiB receive limit.
            "grpc.max_receive_message_length": 64 << 20,
            "grpc.max_send_message_length": 64 << 20,
        }
        if tls is None:
            # Plaintext, but only to a peer on this host (loopback or a Unix
            # socket), so a token never crosses a network in the clear.
            local = grpc.LocalConnectionType
            kind = local.UDS if target.startswith("unix:") else local.LOCAL_TCP
            self.credentials = grpc.local_channel_credentials(kind)
        if tls is True:
            tls = TLS()
        if isinstance(tls, TLS):
            self.credentials = tls.credentials()
            if tls.server_name:
                merged["grpc.ssl_target_name_override"] = tls.server_name
        merged.update(options or [])  # the caller's options win
        self.options: list[tuple[str, Any]] = list(merged.items())

    def call_timeout(self, timeout: float | None) -> float | None:
        return self.timeout if timeout is None else timeout


def call_error(
    error: grpc.RpcError,
    *,
    article: article_pb2.Article | None = None,
    unanswered: list[Article] | None = None,
) -> TagwireError:
    """The error to raise for a failed call: the ArticleError when the server
    answered a unary Tag (of `article`) with a per-article error, a CallError
    otherwise. Accepts the errors of both grpc and grpc.aio calls."""
    code_of = getattr(error, "code", None)
    details_of = getattr(error, "details", None)
    trailers_of = getattr(error, "trailing_metadata", None)
    code = code_of() if callable(code_of) else grpc.StatusCode.UNKNOWN
    details = (details_of() or "") if callable(details_of) else str(error)
    for key, value in (trailers_of() if callable(trailers_of) else None) or ():
        if key == _ARTICLE_ERROR_KEY and isinstance(value, bytes):
            try:
                parsed = error_pb2.ArticleError.FromString(value)
            except DecodeError:
                break  # not what the contract says: report the status as it is
            return ArticleError.from_proto(
                parsed,
                source=article.source if article else "",
                id=article.id if article else "",
                version=article.version if article else 0,
            )
    return CallError(code, details, unanswered)


def one_article(
    body: str | bytes | Article | Mapping[str, Any],
    title: str | bytes,
    article_id: str,
    source: str,
    version: int,
    language: str,
    published: datetime.datetime | None,
    metadata: dict[str, str] | None,
) -> Article:
    """The article of a tag() call: `body` if it is an Article (or a dict of
    Article's fields), else one built from the keyword arguments."""
    if isinstance(body, Mapping):
        body = Article.from_dict(body)
    if not isinstance(body, Article):
        return Article(
            body=body,
            title=title,
            id=article_id,
            source=source,
            version=version,
            language=language,
            published=published,
            metadata=dict(metadata or {}),
        )
    if title or article_id or source or version or language or published or metadata:
        raise TypeError("tag(article) takes no other article fields: set them in the article")
    return body


def stream_result(response: tagging_service_pb2.TagStreamResponse, sequence: int) -> Result:
    """The Result a TagStream response carries, at input position `sequence`."""
    if response.HasField("error"):
        return ArticleError.from_proto(
            response.error,
            source=response.source,
            id=response.id,
            version=response.version,
            sequence=sequence,
        )
    return TaggedArticle.from_proto(response.tagged_article, sequence=sequence)


def too_large(article: article_pb2.Article, size: int, limit: int) -> ArticleError:
    """The error for an article whose request the server could not receive:
    sent anyway, it would end the whole call with RESOURCE_EXHAUSTED."""
    return ArticleError(
        ErrorReason.ARTICLE_TOO_LARGE,
        f"article is {size} bytes as a request; the server accepts at most {limit} "
        "(max_message_bytes)",
        source=article.source,
        id=article.id,
        version=article.version,
    )


def tag_request(
    article: Article, options: tagging_pb2.TagOptions, max_bytes: int
) -> tagging_service_pb2.TagRequest:
    """The request of a unary Tag; raises the local ARTICLE_TOO_LARGE error
    for one over `max_bytes` (0: no limit), which the server would refuse by
    ending the call."""
    message = article.to_proto()
    request = tagging_service_pb2.TagRequest(article=message, options=options)
    if 0 < max_bytes < (size := request.ByteSize()):
        raise too_large(message, size, max_bytes)
    return request


class StreamInput:
    """Both ends of one tag_many stream's bookkeeping, for the sync and
    asyncio clients.

    Sending side: pulls articles from the caller's iterable only when gRPC
    asks for the next request (so flow control paces the input), converts
    them, and queues each as pending. An article too large for the server
    is not sent: it is queued with its ArticleError, so the caller gets that
    error in the article's place and the stream goes on.

    Receiving side: turns each response into the Result of the oldest
    pending article, numbering results by input position.

    Thread contract: requests()/arequests() run on gRPC's sending thread
    (sync) or task (asyncio); the other methods on the caller's. `_cond`
    guards every field but `input_error`, which is written by the sending
    side before it finishes and read after. Holds no reference to the call,
    so an abandoned stream can be collected (and cancelled).
    """

    def __init__(self, articles: Any, options: tagging_pb2.TagOptions, max_bytes: int) -> None:
        if isinstance(articles, (str, bytes, Mapping, Article)):
            raise TypeError("tag_many() takes an iterable of articles; tag one article with tag()")
        self._articles = articles
        self._options = options
        self._max_bytes = max_bytes
        self._cond = threading.Condition()
        # Oldest first: each article taken from the input and not yet given
        # back as a result, with its local error if it was not sent.
        self._pending: collections.deque[tuple[Article, ArticleError | None]] = collections.deque()
        self._unanswered: list[Article] = []
        self._position = 0  # input position of the next result
        # A response read while a refused article was ahead of it.
        self._held: tagging_service_pb2.TagStreamResponse | None = None
        self._closed = False
        self._pulling = False
        self.input_error: BaseException | None = None

    # -- sending side --------------------------------------------------------

    def _admit(self, item: ArticleLike) -> tagging_service_pb2.TagStreamRequest | None:
        """The request for one pulled item, or None when there is nothing to
        send for it (too large, or the stream has failed: then the article
        joins the failure's `unanswered` list)."""
        article = to_article(item)
        message = article.to_proto()
        if message.id != article.id:
            article = dataclasses.replace(article, id=message.id)
        request = tagging_service_pb2.TagStreamRequest(article=message)
        size = request.ByteSize()
        limit = self._max_bytes
        local = too_large(message, size, limit) if 0 < limit < size else None
        with self._cond:
            if self._closed:
                self._unanswered.append(article)
                return None
            self._pending.append((article, local))
        return None if local else request

    def _start_pull(self) -> bool:
        with self._cond:
            if self._closed:
                return False
            self._pulling = True
            return True

    def _end_pull(self) -> None:
        with self._cond:
            self._pulling = False
            self._cond.notify_all()

    def requests(self) -> Iterator[tagging_service_pb2.TagStreamRequest]:
        """The requests, for a sync call: the options first, then one per
        article. An exception from the input (or a bad item) half-closes the
        stream: what was sent is still answered, then it is re-raised."""
        yield tagging_service_pb2.TagStreamRequest(options=self._options)
        iterator = iter(self._articles)
        while self._start_pull():
            try:
                request = self._admit(next(iterator))
            except StopIteration:
                return
            except Exception as error:  # noqa: BLE001 - re-raised by the caller's thread
                self.input_error = error
                return
            finally:
                self._end_pull()
            if request is not None:
                yield request

    async def arequests(self) -> AsyncIterator[tagging_service_pb2.TagStreamRequest]:
        """requests() for grpc.aio; the input may be an async iterable."""
        yield tagging_service_pb2.TagStreamRequest(options=self._options)
        articles = self._articles
        try:
            if isinstance(articles, AsyncIterable):
                async for item in articles:
                    if (request := self._admit(item)) is not None:
                        yield request
                    elif self._closed:
                        return
            else:
                for item in articles:
                    if (request := self._admit(item)) is not None:
                        yield request
                    elif self._closed:
                        return
        except Exception as error:  # noqa: BLE001 - re-raised by the caller's task
            self.input_error = error

    # -- receiving side ------------------------------------------------------

    def ready(self) -> Result | None:
        """The next result if it needs no read from the server: an article
        refused before sending, or a response held back behind one."""
        with self._cond:
            if self._pending and self._pending[0][1] is not None:
                _, error = self._pending.popleft()
                assert error is not None
                error.sequence = self._position
                self._position += 1
                return error
            held, self._held = self._held, None
        return self.result(held) if held is not None else None

    def result(self, response: tagging_service_pb2.TagStreamResponse) -> Result:
        """The result for a response just read: the answer to the oldest
        pending sent article, or, when an article refused meanwhile comes
        first, that refusal (the response is held for the next ready())."""
        with self._cond:
            if self._pending and self._pending[0][1] is not None:
                self._held = response
            else:
                self._pending.popleft()
                sequence = self._position
                self._position += 1
                return stream_result(response, sequence)
        result = self.ready()
        assert result is not None
        return result

    def close(self, wait: float = 0.0) -> list[Article]:
        """Marks the stream failed and returns the articles that got no
        result, oldest first. Waits up to `wait` seconds for an item being
        pulled to arrive (sync only); one arriving later is appended to the
        same list."""
        with self._cond:
            if not self._closed:
                self._closed = True
                if wait:
                    self._cond.wait_for(lambda: not self._pulling, wait)
                self._unanswered[:0] = [article for article, _ in self._pending]
                self._pending.clear()
            return self._unanswered

    def take_input_error(self) -> BaseException | None:
        """The exception the input raised, once."""
        error, self.input_error = self.input_error, None
        return error
