from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
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
ERROR_REASON_UNSPECIFIED: ErrorReason
ERROR_REASON_BODY_NOT_UTF8: ErrorReason
ERROR_REASON_TITLE_NOT_UTF8: ErrorReason
ERROR_REASON_EMPTY_BODY: ErrorReason
ERROR_REASON_ARTICLE_TOO_LARGE: ErrorReason
ERROR_REASON_MISSING_ID: ErrorReason
ERROR_REASON_TOO_MANY_MENTIONS: ErrorReason
ERROR_REASON_INTERNAL: ErrorReason
ERROR_REASON_INVALID_OPTIONS: ErrorReason

class ArticleError(_message.Message):
    __slots__ = ("reason", "message", "code")
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    reason: ErrorReason
    message: str
    code: int
    def __init__(self, reason: _Optional[_Union[ErrorReason, str]] = ..., message: _Optional[str] = ..., code: _Optional[int] = ...) -> None: ...
