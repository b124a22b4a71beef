from tagwire.v1 import tagging_pb2 as _tagging_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubscriptionFilter(_message.Message):
    __slots__ = ("kinds", "concept_ids", "topics", "min_score")
    KINDS_FIELD_NUMBER: _ClassVar[int]
    CONCEPT_IDS_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    kinds: _containers.RepeatedScalarFieldContainer[_tagging_pb2.ConceptKind]
    concept_ids: _containers.RepeatedScalarFieldContainer[str]
    topics: _containers.RepeatedScalarFieldContainer[str]
    min_score: float
    def __init__(self, kinds: _Optional[_Iterable[_Union[_tagging_pb2.ConceptKind, str]]] = ..., concept_ids: _Optional[_Iterable[str]] = ..., topics: _Optional[_Iterable[str]] = ..., min_score: _Optional[float] = ...) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("filter",)
    FILTER_FIELD_NUMBER: _ClassVar[int]
    filter: SubscriptionFilter
    def __init__(self, filter: _Optional[_Union[SubscriptionFilter, _Mapping]] = ...) -> None: ...

class SubscribeResponse(_message.Message):
    __slots__ = ("tagged_article",)
    TAGGED_ARTICLE_FIELD_NUMBER: _ClassVar[int]
    tagged_article: _tagging_pb2.TaggedArticle
    def __init__(self, tagged_article: _Optional[_Union[_tagging_pb2.TaggedArticle, _Mapping]] = ...) -> None: ...
