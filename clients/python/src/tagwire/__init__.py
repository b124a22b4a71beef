"""tagwire: Python client of the tagwire news-tagging service.

    import tagwire

    with tagwire.Client("127.0.0.1:50051") as client:
        result = client.tag("NATO ministers met in Kyiv.", title="Ministers meet")
        print([(t.kind.name, t.name) for t in result.tags])

tagwire.Client is synchronous; tagwire.aio.Client is its asyncio twin.
Results are TaggedArticle (tags and topics, offsets in code points) or, for
an article that cannot be tagged, ArticleError. The generated protobuf and
gRPC code of the tagwire.v1 contract is in tagwire.v1.
"""

from tagwire._common import DEFAULT_TARGET, DEFAULT_TIMEOUT, TLS
from tagwire._model import (
    Article,
    ArticleError,
    ArticleLike,
    Attributes,
    CallError,
    ErrorReason,
    Kind,
    Mention,
    Overlap,
    Result,
    Tag,
    TaggedArticle,
    TagwireError,
    Topic,
)
from tagwire.client import Client, ResultStream, Subscription

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TARGET",
    "DEFAULT_TIMEOUT",
    "TLS",
    "Article",
    "ArticleError",
    "ArticleLike",
    "Attributes",
    "CallError",
    "Client",
    "ErrorReason",
    "Kind",
    "Mention",
    "Overlap",
    "Result",
    "ResultStream",
    "Subscription",
    "Tag",
    "TaggedArticle",
    "TagwireError",
    "Topic",
]
