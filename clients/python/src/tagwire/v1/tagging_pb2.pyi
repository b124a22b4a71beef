from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConceptKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONCEPT_KIND_UNSPECIFIED: _ClassVar[ConceptKind]
    CONCEPT_KIND_TOPIC: _ClassVar[ConceptKind]
    CONCEPT_KIND_PERSON: _ClassVar[ConceptKind]
    CONCEPT_KIND_ORGANIZATION: _ClassVar[ConceptKind]
    CONCEPT_KIND_LOCATION: _ClassVar[ConceptKind]
    CONCEPT_KIND_OTHER: _ClassVar[ConceptKind]

class OverlapPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OVERLAP_POLICY_UNSPECIFIED: _ClassVar[OverlapPolicy]
    OVERLAP_POLICY_LEFTMOST_LONGEST: _ClassVar[OverlapPolicy]
    OVERLAP_POLICY_ALL: _ClassVar[OverlapPolicy]
    OVERLAP_POLICY_NO_SUBSUMED: _ClassVar[OverlapPolicy]

class OffsetUnit(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OFFSET_UNIT_UNSPECIFIED: _ClassVar[OffsetUnit]
    OFFSET_UNIT_BYTES: _ClassVar[OffsetUnit]
    OFFSET_UNIT_CODE_POINTS: _ClassVar[OffsetUnit]
    OFFSET_UNIT_UTF16: _ClassVar[OffsetUnit]

class Field(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FIELD_UNSPECIFIED: _ClassVar[Field]
    FIELD_TITLE: _ClassVar[Field]
    FIELD_BODY: _ClassVar[Field]
CONCEPT_KIND_UNSPECIFIED: ConceptKind
CONCEPT_KIND_TOPIC: ConceptKind
CONCEPT_KIND_PERSON: ConceptKind
CONCEPT_KIND_ORGANIZATION: ConceptKind
CONCEPT_KIND_LOCATION: ConceptKind
CONCEPT_KIND_OTHER: ConceptKind
OVERLAP_POLICY_UNSPECIFIED: OverlapPolicy
OVERLAP_POLICY_LEFTMOST_LONGEST: OverlapPolicy
OVERLAP_POLICY_ALL: OverlapPolicy
OVERLAP_POLICY_NO_SUBSUMED: OverlapPolicy
OFFSET_UNIT_UNSPECIFIED: OffsetUnit
OFFSET_UNIT_BYTES: OffsetUnit
OFFSET_UNIT_CODE_POINTS: OffsetUnit
OFFSET_UNIT_UTF16: OffsetUnit
FIELD_UNSPECIFIED: Field
FIELD_TITLE: Field
FIELD_BODY: Field

class TagOptions(_message.Message):
    __slots__ = ("kinds", "min_score", "overlap_policy", "offset_units", "include_mentions", "explain")
    KINDS_FIELD_NUMBER: _ClassVar[int]
    MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_POLICY_FIELD_NUMBER: _ClassVar[int]
    OFFSET_UNITS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_MENTIONS_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    kinds: _containers.RepeatedScalarFieldContainer[ConceptKind]
    min_score: float
    overlap_policy: OverlapPolicy
    offset_units: _containers.RepeatedScalarFieldContainer[OffsetUnit]
    include_mentions: bool
    explain: bool
    def __init__(self, kinds: _Optional[_Iterable[_Union[ConceptKind, str]]] = ..., min_score: _Optional[float] = ..., overlap_policy: _Optional[_Union[OverlapPolicy, str]] = ..., offset_units: _Optional[_Iterable[_Union[OffsetUnit, str]]] = ..., include_mentions: _Optional[bool] = ..., explain: _Optional[bool] = ...) -> None: ...

class Attributes(_message.Message):
    __slots__ = ("country_code", "admin1", "iptc_code", "geonames_id", "population", "latitude", "longitude", "extra")
    class ExtraEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    ADMIN1_FIELD_NUMBER: _ClassVar[int]
    IPTC_CODE_FIELD_NUMBER: _ClassVar[int]
    GEONAMES_ID_FIELD_NUMBER: _ClassVar[int]
    POPULATION_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    country_code: str
    admin1: str
    iptc_code: str
    geonames_id: int
    population: int
    latitude: float
    longitude: float
    extra: _containers.ScalarMap[str, str]
    def __init__(self, country_code: _Optional[str] = ..., admin1: _Optional[str] = ..., iptc_code: _Optional[str] = ..., geonames_id: _Optional[int] = ..., population: _Optional[int] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., extra: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Mention(_message.Message):
    __slots__ = ("field", "text", "byte_start", "byte_end", "code_point_start", "code_point_end", "utf16_start", "utf16_end", "alias")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    BYTE_START_FIELD_NUMBER: _ClassVar[int]
    BYTE_END_FIELD_NUMBER: _ClassVar[int]
    CODE_POINT_START_FIELD_NUMBER: _ClassVar[int]
    CODE_POINT_END_FIELD_NUMBER: _ClassVar[int]
    UTF16_START_FIELD_NUMBER: _ClassVar[int]
    UTF16_END_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    field: Field
    text: str
    byte_start: int
    byte_end: int
    code_point_start: int
    code_point_end: int
    utf16_start: int
    utf16_end: int
    alias: str
    def __init__(self, field: _Optional[_Union[Field, str]] = ..., text: _Optional[str] = ..., byte_start: _Optional[int] = ..., byte_end: _Optional[int] = ..., code_point_start: _Optional[int] = ..., code_point_end: _Optional[int] = ..., utf16_start: _Optional[int] = ..., utf16_end: _Optional[int] = ..., alias: _Optional[str] = ...) -> None: ...

class Tag(_message.Message):
    __slots__ = ("concept_id", "kind", "name", "attributes", "broader_id", "count", "score", "in_title", "mentions", "explanation")
    CONCEPT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    BROADER_ID_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    IN_TITLE_FIELD_NUMBER: _ClassVar[int]
    MENTIONS_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    concept_id: str
    kind: ConceptKind
    name: str
    attributes: Attributes
    broader_id: str
    count: int
    score: float
    in_title: bool
    mentions: _containers.RepeatedCompositeFieldContainer[Mention]
    explanation: str
    def __init__(self, concept_id: _Optional[str] = ..., kind: _Optional[_Union[ConceptKind, str]] = ..., name: _Optional[str] = ..., attributes: _Optional[_Union[Attributes, _Mapping]] = ..., broader_id: _Optional[str] = ..., count: _Optional[int] = ..., score: _Optional[float] = ..., in_title: _Optional[bool] = ..., mentions: _Optional[_Iterable[_Union[Mention, _Mapping]]] = ..., explanation: _Optional[str] = ...) -> None: ...

class Topic(_message.Message):
    __slots__ = ("concept_id", "name", "iptc_code", "score", "broader_id", "matched_keywords", "explanation")
    CONCEPT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    IPTC_CODE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    BROADER_ID_FIELD_NUMBER: _ClassVar[int]
    MATCHED_KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    concept_id: str
    name: str
    iptc_code: str
    score: float
    broader_id: str
    matched_keywords: _containers.RepeatedScalarFieldContainer[str]
    explanation: str
    def __init__(self, concept_id: _Optional[str] = ..., name: _Optional[str] = ..., iptc_code: _Optional[str] = ..., score: _Optional[float] = ..., broader_id: _Optional[str] = ..., matched_keywords: _Optional[_Iterable[str]] = ..., explanation: _Optional[str] = ...) -> None: ...

class TaggedArticle(_message.Message):
    __slots__ = ("source", "id", "version", "taxonomy_version", "tags", "topics", "title_bytes", "body_bytes")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TAXONOMY_VERSION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    TITLE_BYTES_FIELD_NUMBER: _ClassVar[int]
    BODY_BYTES_FIELD_NUMBER: _ClassVar[int]
    source: str
    id: str
    version: int
    taxonomy_version: str
    tags: _containers.RepeatedCompositeFieldContainer[Tag]
    topics: _containers.RepeatedCompositeFieldContainer[Topic]
    title_bytes: int
    body_bytes: int
    def __init__(self, source: _Optional[str] = ..., id: _Optional[str] = ..., version: _Optional[int] = ..., taxonomy_version: _Optional[str] = ..., tags: _Optional[_Iterable[_Union[Tag, _Mapping]]] = ..., topics: _Optional[_Iterable[_Union[Topic, _Mapping]]] = ..., title_bytes: _Optional[int] = ..., body_bytes: _Optional[int] = ...) -> None: ...
