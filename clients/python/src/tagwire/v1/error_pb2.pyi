from tagwire.v1 import article_pb2 as _article_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    ERROR_REASON_BODY_NOT_UTF8: _ClassVar[ErrorReason]
    ERROR_REASON_TITLE_NOT_UTF8: _ClassVar[ErrorReason]
    ERROR_REASON_EMPTY_BODY: _ClassVar[ErrorReason]
    ERROR_REASON_ARTICLE_TOO_LARGE: _ClassVar[ErrorReason]
    ERROR_REASON_MISSING_ID: _ClassVar[ErrorReason]
    ERROR_REASON_TOO_MANY_MENTIONS: _ClassVar[ErrorReason]
    ERROR_REASON_INTERNAL: _ClassVar[ErrorReason]
    ERROR_REASON_INVALID_OPTIONS: _ClassVar[ErrorReason]
    ERROR_REASON_NOT_DELIVERED: _ClassVar[ErrorReason]
    ERROR_REASON_UNDECODABLE: _ClassVar[ErrorReason]
    ERROR_REASON_CONFLICT: _ClassVar[ErrorReason]
ERROR_REASON_UNSPECIFIED: ErrorReason
ERROR_REASON_BODY_NOT_UTF8: ErrorReason
ERROR_REASON_TITLE_NOT_UTF8: ErrorReason
ERROR_REASON_EMPTY_BODY: ErrorReason
ERROR_REASON_ARTICLE_TOO_LARGE: ErrorReason
ERROR_REASON_MISSING_ID: ErrorReason
ERROR_REASON_TOO_MANY_MENTIONS: ErrorReason
ERROR_REASON_INTERNAL: ErrorReason
ERROR_REASON_INVALID_OPTIONS: ErrorReason
ERROR_REASON_NOT_DELIVERED: ErrorReason
ERROR_REASON_UNDECODABLE: ErrorReason
ERROR_REASON_CONFLICT: ErrorReason

class ArticleError(_message.Message):
    __slots__ = ("reason", "message", "code")
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    reason: ErrorReason
    message: str
    code: int
    def __init__(self, reason: _Optional[_Union[ErrorReason, str]] = ..., message: _Optional[str] = ..., code: _Optional[int] = ...) -> None: ...

class DeadLetter(_message.Message):
    __slots__ = ("source", "id", "version", "error", "article", "article_omitted")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ARTICLE_FIELD_NUMBER: _ClassVar[int]
    ARTICLE_OMITTED_FIELD_NUMBER: _ClassVar[int]
    source: str
    id: str
    version: int
    error: ArticleError
    article: _article_pb2.Article
    article_omitted: bool
    def __init__(self, source: _Optional[str] = ..., id: _Optional[str] = ..., version: _Optional[int] = ..., error: _Optional[_Union[ArticleError, _Mapping]] = ..., article: _Optional[_Union[_article_pb2.Article, _Mapping]] = ..., article_omitted: _Optional[bool] = ...) -> None: ...
