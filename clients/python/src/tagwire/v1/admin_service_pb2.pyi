import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetTaxonomyRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TaxonomyInfo(_message.Message):
    __slots__ = ("version", "source_files", "concept_count", "concepts_by_kind", "literal_count", "regex_count", "database_bytes", "loaded_from_cache", "loaded_time")
    class ConceptsByKindEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FILES_FIELD_NUMBER: _ClassVar[int]
    CONCEPT_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONCEPTS_BY_KIND_FIELD_NUMBER: _ClassVar[int]
    LITERAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    REGEX_COUNT_FIELD_NUMBER: _ClassVar[int]
    DATABASE_BYTES_FIELD_NUMBER: _ClassVar[int]
    LOADED_FROM_CACHE_FIELD_NUMBER: _ClassVar[int]
    LOADED_TIME_FIELD_NUMBER: _ClassVar[int]
    version: str
    source_files: _containers.RepeatedScalarFieldContainer[str]
    concept_count: int
    concepts_by_kind: _containers.ScalarMap[str, int]
    literal_count: int
    regex_count: int
    database_bytes: int
    loaded_from_cache: bool
    loaded_time: _timestamp_pb2.Timestamp
    def __init__(self, version: _Optional[str] = ..., source_files: _Optional[_Iterable[str]] = ..., concept_count: _Optional[int] = ..., concepts_by_kind: _Optional[_Mapping[str, int]] = ..., literal_count: _Optional[int] = ..., regex_count: _Optional[int] = ..., database_bytes: _Optional[int] = ..., loaded_from_cache: _Optional[bool] = ..., loaded_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetTaxonomyResponse(_message.Message):
    __slots__ = ("taxonomy",)
    TAXONOMY_FIELD_NUMBER: _ClassVar[int]
    taxonomy: TaxonomyInfo
    def __init__(self, taxonomy: _Optional[_Union[TaxonomyInfo, _Mapping]] = ...) -> None: ...

class ReloadTaxonomyRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReloadTaxonomyResponse(_message.Message):
    __slots__ = ("previous_version", "taxonomy", "changed", "duration")
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    TAXONOMY_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    previous_version: str
    taxonomy: TaxonomyInfo
    changed: bool
    duration: _duration_pb2.Duration
    def __init__(self, previous_version: _Optional[str] = ..., taxonomy: _Optional[_Union[TaxonomyInfo, _Mapping]] = ..., changed: _Optional[bool] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class GetServerStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetServerStatsResponse(_message.Message):
    __slots__ = ("uptime", "articles_tagged", "articles_failed", "failures_by_reason", "bytes_received", "active_tag_streams", "active_subscriptions", "reloads", "failed_reloads", "worker_threads", "taxonomy_version", "slow_subscribers_dropped")
    class FailuresByReasonEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    UPTIME_FIELD_NUMBER: _ClassVar[int]
    ARTICLES_TAGGED_FIELD_NUMBER: _ClassVar[int]
    ARTICLES_FAILED_FIELD_NUMBER: _ClassVar[int]
    FAILURES_BY_REASON_FIELD_NUMBER: _ClassVar[int]
    BYTES_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_TAG_STREAMS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    RELOADS_FIELD_NUMBER: _ClassVar[int]
    FAILED_RELOADS_FIELD_NUMBER: _ClassVar[int]
    WORKER_THREADS_FIELD_NUMBER: _ClassVar[int]
    TAXONOMY_VERSION_FIELD_NUMBER: _ClassVar[int]
    SLOW_SUBSCRIBERS_DROPPED_FIELD_NUMBER: _ClassVar[int]
    uptime: _duration_pb2.Duration
    articles_tagged: int
    articles_failed: int
    failures_by_reason: _containers.ScalarMap[str, int]
    bytes_received: int
    active_tag_streams: int
    active_subscriptions: int
    reloads: int
    failed_reloads: int
    worker_threads: int
    taxonomy_version: str
    slow_subscribers_dropped: int
    def __init__(self, uptime: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., articles_tagged: _Optional[int] = ..., articles_failed: _Optional[int] = ..., failures_by_reason: _Optional[_Mapping[str, int]] = ..., bytes_received: _Optional[int] = ..., active_tag_streams: _Optional[int] = ..., active_subscriptions: _Optional[int] = ..., reloads: _Optional[int] = ..., failed_reloads: _Optional[int] = ..., worker_threads: _Optional[int] = ..., taxonomy_version: _Optional[str] = ..., slow_subscribers_dropped: _Optional[int] = ...) -> None: ...
