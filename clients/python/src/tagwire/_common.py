"""What the sync and asyncio clients share: channel options, credentials,
call metadata, argument handling, and turning gRPC failures and stream
responses into this package's errors and results."""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass
from typing import Any

import grpc

from tagwire._model import Article, ArticleError, CallError, Result, TaggedArticle, TagwireError
from tagwire.v1 import article_pb2, error_pb2, tagging_service_pb2

DEFAULT_TARGET = "127.0.0.1:50051"
"""Where tagwired listens by default."""

DEFAULT_TIMEOUT = 30.0
"""Default deadline of unary calls, in seconds. Streams have none."""

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
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.metadata: tuple[tuple[str, str], ...] = (
            (("authorization", f"Bearer {token}"),) if token else ()
        )
        self.credentials: grpc.ChannelCredentials | None = None
        self.options: list[tuple[str, Any]] = [
            ("grpc.service_config", _SERVICE_CONFIG),
            ("grpc.enable_retries", 1),
            # A tagged 1 MiB article with every mention listed can exceed
            # gRPC's default 4 MiB receive limit.
            ("grpc.max_receive_message_length", 64 << 20),
            ("grpc.max_send_message_length", 64 << 20),
        ]
        if tls is True:
            tls = TLS()
        if isinstance(tls, TLS):
            self.credentials = tls.credentials()
            if tls.server_name:
                self.options.append(("grpc.ssl_target_name_override", tls.server_name))
        self.options.extend(options or [])

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
            return ArticleError.from_proto(
                error_pb2.ArticleError.FromString(value),
                source=article.source if article else "",
                id=article.id if article else "",
                version=article.version if article else 0,
            )
    return CallError(code, details, unanswered)


def one_article(
    body: str | bytes | Article,
    title: str | bytes,
    article_id: str,
    source: str,
    version: int,
    language: str,
    published: datetime.datetime | None,
    metadata: dict[str, str] | None,
) -> Article:
    """The article of a tag() call: `body` if it is an Article, else one
    built from the keyword arguments."""
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
        raise TypeError("tag(Article(...)) takes no other article fields: set them in the Article")
    return body


def stream_result(response: tagging_service_pb2.TagStreamResponse) -> Result:
    """The Result a TagStream response carries."""
    if response.HasField("error"):
        return ArticleError.from_proto(
            response.error,
            source=response.source,
            id=response.id,
            version=response.version,
            sequence=response.sequence,
        )
    return TaggedArticle.from_proto(response.tagged_article, sequence=response.sequence)
