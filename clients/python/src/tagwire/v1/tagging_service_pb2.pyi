from tagwire.v1 import article_pb2 as _article_pb2
from tagwire.v1 import error_pb2 as _error_pb2
from tagwire.v1 import tagging_pb2 as _tagging_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TagRequest(_message.Message):
    __slots__ = ("article", "options")
    ARTICLE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    article: _article_pb2.Article
    options: _tagging_pb2.TagOptions
    def __init__(self, article: _Optional[_Union[_article_pb2.Article, _Mapping]] = ..., options: _Optional[_Union[_tagging_pb2.TagOptions, _Mapping]] = ...) -> None: ...

class TagResponse(_message.Message):
    __slots__ = ("tagged_article",)
    TAGGED_ARTICLE_FIELD_NUMBER: _ClassVar[int]
    tagged_article: _tagging_pb2.TaggedArticle
    def __init__(self, tagged_article: _Optional[_Union[_tagging_pb2.TaggedArticle, _Mapping]] = ...) -> None: ...

class TagStreamRequest(_message.Message):
    __slots__ = ("article", "options")
    ARTICLE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    article: _article_pb2.Article
    options: _tagging_pb2.TagOptions
    def __init__(self, article: _Optional[_Union[_article_pb2.Article, _Mapping]] = ..., options: _Optional[_Union[_tagging_pb2.TagOptions, _Mapping]] = ...) -> None: ...

class TagStreamResponse(_message.Message):
    __slots__ = ("sequence", "source", "id", "version", "tagged_article", "error")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TAGGED_ARTICLE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    source: str
    id: str
    version: int
    tagged_article: _tagging_pb2.TaggedArticle
    error: _error_pb2.ArticleError
    def __init__(self, sequence: _Optional[int] = ..., source: _Optional[str] = ..., id: _Optional[str] = ..., version: _Optional[int] = ..., tagged_article: _Optional[_Union[_tagging_pb2.TaggedArticle, _Mapping]] = ..., error: _Optional[_Union[_error_pb2.ArticleError, _Mapping]] = ...) -> None: ...
