"""xAPI statements (1.0.3 and 2.0, IEEE 9274.1.1) as strict pydantic models: what an LRS
must refuse with 400, refused here with the property named.

Why our own models rather than ralph-malph's (ADR 0014): Ralph's models accept only
``version`` 1.0.x and know none of 2.0's context agents and groups, and they pull in
``rfc3987`` (GPL-3.0) for IRIs. These follow the spec's tables; language tags are checked
by ``langcodes`` (the maintained BCP 47 library).

Deliberately lenient in one place: extension keys need only be non-empty strings, as
Open edX's event-routing-backends sends keys such as ``code`` and ``eventVersion``.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime
from typing import Annotated, Any, Literal

import langcodes
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    ValidationError,
    model_validator,
)

from creditbank.core.errors import InvalidInput

IRI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
LANGUAGE_RE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
DURATION_RE = re.compile(
    r"^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$"
)
VERSION_RE = re.compile(r"^(1\.0|2\.0)(\.\d+)?$")
TIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(?P<offset>Z|z|[+-]\d{2}:?\d{2})?$"
)
MAILTO_RE = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")


def _iri(value: str) -> str:
    if not IRI_RE.match(value):
        raise ValueError(f"{value!r} is not an IRI (scheme:rest, no spaces)")
    return value


def _uuid(value: str) -> str:
    if not UUID_RE.match(value):
        raise ValueError(f"{value!r} is not a UUID")
    return value.lower()


def _language(value: str) -> str:
    if not _valid_tag(value):
        raise ValueError(f"{value!r} is not an RFC 5646 language tag")
    return value


@functools.lru_cache(maxsize=1024)
def _valid_tag(value: str) -> bool:
    """Remembered: an LMS sends the same few tags in every statement, and checking one
    against the registry costs more than the rest of a language map."""
    return bool(LANGUAGE_RE.match(value)) and langcodes.tag_is_valid(value)


def _duration(value: str) -> str:
    if not DURATION_RE.match(value):
        raise ValueError(f"{value!r} is not an ISO 8601 duration")
    return value


def _time(value: str) -> str:
    if not TIME_RE.match(value):
        raise ValueError(f"{value!r} is not an ISO 8601 timestamp")
    try:
        datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError as exc:  # a month 13, a day 31 of a 30-day month, ...
        raise ValueError(f"{value!r} is not a time that exists") from exc
    return value


def _version(value: str) -> str:
    if not VERSION_RE.match(value):
        raise ValueError(f"{value!r} is not an xAPI version this LRS takes (1.0.x or 2.0.x)")
    return value


IRI = Annotated[StrictStr, AfterValidator(_iri)]
UUIDText = Annotated[StrictStr, AfterValidator(_uuid)]
LanguageTag = Annotated[StrictStr, AfterValidator(_language)]
LanguageMap = dict[LanguageTag, StrictStr]
Duration = Annotated[StrictStr, AfterValidator(_duration)]
Timestamp = Annotated[StrictStr, AfterValidator(_time)]
Extensions = dict[Annotated[StrictStr, Field(min_length=1)], Any]
Number = StrictInt | StrictFloat


class XapiModel(BaseModel):
    """Unknown properties are refused, and nothing is coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Account(XapiModel):
    homePage: IRI
    name: StrictStr = Field(min_length=1)


IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


class _Identified(XapiModel):
    name: StrictStr | None = None
    mbox: Annotated[StrictStr, Field(pattern=MAILTO_RE.pattern)] | None = None
    mbox_sha1sum: Annotated[StrictStr, Field(pattern=r"^[0-9a-fA-F]{40}$")] | None = None
    openid: IRI | None = None
    account: Account | None = None

    @property
    def identifiers(self) -> list[str]:
        return [k for k in IFIS if getattr(self, k) is not None]

    def ifi(self) -> str | None:
        """This agent's identifier as one comparable string (None: an anonymous group)."""
        if self.mbox is not None:
            return f"mbox:{self.mbox.lower()}"
        if self.mbox_sha1sum is not None:
            return f"mbox_sha1sum:{self.mbox_sha1sum.lower()}"
        if self.openid is not None:
            return f"openid:{self.openid}"
        if self.account is not None:
            return f"account:{self.account.homePage}|{self.account.name}"
        return None


class Agent(_Identified):
    objectType: Literal["Agent"] = "Agent"

    @model_validator(mode="after")
    def _one_identifier(self) -> Agent:
        found = self.identifiers
        if len(found) != 1:
            raise ValueError(
                f"an Agent has exactly one identifier (mbox, mbox_sha1sum, openid or "
                f"account), not {len(found)}" + (f": {', '.join(found)}" if found else "")
            )
        return self


class Group(_Identified):
    objectType: Literal["Group"]
    member: list[Agent] | None = None

    @model_validator(mode="after")
    def _identified_or_members(self) -> Group:
        found = self.identifiers
        if len(found) > 1:
            raise ValueError(f"a Group has at most one identifier, not {', '.join(found)}")
        if not found and not self.member:
            raise ValueError("an anonymous Group (no identifier) needs its members")
        return self


def _actor_tag(value: Any) -> str:
    kind = value.get("objectType", "Agent") if isinstance(value, dict) else None
    return "Group" if kind == "Group" else "Agent"


Actor = Annotated[
    Annotated[Agent, Tag("Agent")] | Annotated[Group, Tag("Group")], Discriminator(_actor_tag)
]


class Verb(XapiModel):
    id: IRI
    display: LanguageMap | None = None


class InteractionComponent(XapiModel):
    id: StrictStr = Field(min_length=1)
    description: LanguageMap | None = None


class ActivityDefinition(XapiModel):
    name: LanguageMap | None = None
    description: LanguageMap | None = None
    type: IRI | None = None
    moreInfo: IRI | None = None
    interactionType: (
        Literal[
            "true-false",
            "choice",
            "fill-in",
            "long-fill-in",
            "matching",
            "performance",
            "sequencing",
            "likert",
            "numeric",
            "other",
        ]
        | None
    ) = None
    correctResponsesPattern: list[StrictStr] | None = None
    choices: list[InteractionComponent] | None = None
    scale: list[InteractionComponent] | None = None
    source: list[InteractionComponent] | None = None
    target: list[InteractionComponent] | None = None
    steps: list[InteractionComponent] | None = None
    extensions: Extensions | None = None


class Activity(XapiModel):
    objectType: Literal["Activity"] = "Activity"
    id: IRI
    definition: ActivityDefinition | None = None


class StatementRef(XapiModel):
    objectType: Literal["StatementRef"]
    id: UUIDText


class Score(XapiModel):
    scaled: Annotated[Number, Field(ge=-1, le=1)] | None = None
    raw: Number | None = None
    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _in_range(self) -> Score:
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be less than max ({self.max})")
        if self.raw is not None:
            if self.min is not None and self.raw < self.min:
                raise ValueError(f"raw ({self.raw}) is below min ({self.min})")
            if self.max is not None and self.raw > self.max:
                raise ValueError(f"raw ({self.raw}) is above max ({self.max})")
        return self


class Result(XapiModel):
    score: Score | None = None
    success: StrictBool | None = None
    completion: StrictBool | None = None
    response: StrictStr | None = None
    duration: Duration | None = None
    extensions: Extensions | None = None


ContextActivityList = Activity | list[Activity]


class ContextActivities(XapiModel):
    parent: ContextActivityList | None = None
    grouping: ContextActivityList | None = None
    category: ContextActivityList | None = None
    other: ContextActivityList | None = None


class ContextAgent(XapiModel):
    objectType: Literal["contextAgent"]
    agent: Agent
    relevantTypes: Annotated[list[IRI], Field(min_length=1)] | None = None


class ContextGroup(XapiModel):
    objectType: Literal["contextGroup"]
    group: Group
    relevantTypes: Annotated[list[IRI], Field(min_length=1)] | None = None


class Context(XapiModel):
    registration: UUIDText | None = None
    instructor: Actor | None = None
    team: Group | None = None
    contextActivities: ContextActivities | None = None
    revision: StrictStr | None = None
    platform: StrictStr | None = None
    language: LanguageTag | None = None
    statement: StatementRef | None = None
    extensions: Extensions | None = None
    contextAgents: list[ContextAgent] | None = None  # 2.0
    contextGroups: list[ContextGroup] | None = None  # 2.0


class Attachment(XapiModel):
    usageType: IRI
    display: LanguageMap
    description: LanguageMap | None = None
    contentType: StrictStr = Field(min_length=1)
    length: StrictInt = Field(ge=0)
    sha2: Annotated[StrictStr, Field(pattern=r"^[0-9a-fA-F]{56,128}$")]
    fileUrl: IRI | None = None


def _object_tag(value: Any) -> str:
    kind = value.get("objectType", "Activity") if isinstance(value, dict) else None
    return kind if kind in ("Agent", "Group", "StatementRef", "SubStatement") else "Activity"


SubObject = Annotated[
    Annotated[Activity, Tag("Activity")]
    | Annotated[Agent, Tag("Agent")]
    | Annotated[Group, Tag("Group")]
    | Annotated[StatementRef, Tag("StatementRef")],
    Discriminator(_object_tag),
]


class _Core(XapiModel):
    actor: Actor
    verb: Verb
    result: Result | None = None
    context: Context | None = None
    timestamp: Timestamp | None = None
    attachments: list[Attachment] | None = None

    def _check_context(self, obj: object) -> None:
        if self.context is not None and not isinstance(obj, Activity):
            for name in ("revision", "platform"):
                if getattr(self.context, name) is not None:
                    raise ValueError(f"context.{name} is only for a statement about an Activity")


class SubStatement(_Core):
    objectType: Literal["SubStatement"]
    object: SubObject

    @model_validator(mode="after")
    def _context(self) -> SubStatement:
        self._check_context(self.object)
        return self


StatementObject = Annotated[
    Annotated[Activity, Tag("Activity")]
    | Annotated[Agent, Tag("Agent")]
    | Annotated[Group, Tag("Group")]
    | Annotated[StatementRef, Tag("StatementRef")]
    | Annotated[SubStatement, Tag("SubStatement")],
    Discriminator(_object_tag),
]


class Statement(_Core):
    id: UUIDText | None = None
    object: StatementObject
    stored: Timestamp | None = None
    authority: Actor | None = None
    version: Annotated[StrictStr, AfterValidator(_version)] | None = None

    @model_validator(mode="after")
    def _context(self) -> Statement:
        self._check_context(self.object)
        return self


_TAGS = {"Agent", "Group", "Activity", "StatementRef", "SubStatement"}
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def _field(prefix: str, loc: tuple[int | str, ...]) -> str:
    parts = [prefix] if prefix else []
    for p in loc:
        if isinstance(p, int):
            parts[-1:] = [f"{parts[-1]}[{p}]"] if parts else [f"[{p}]"]
        elif p not in _TAGS and p != "[key]":
            parts.append(str(p))
    return ".".join(parts) or "statement"


def parse_statement(data: object, *, where: str = "", version: str = "1.0.3") -> Statement:
    """``data`` as an xAPI statement of ``version`` (the request's header), or InvalidInput
    naming the property at fault (``where`` prefixes it: ``statements[3]`` in a list)."""
    if not isinstance(data, dict):
        raise InvalidInput("an xAPI statement is a JSON object", field=where or "statement")
    _refuse_lone_surrogates(data, where)
    try:
        statement = Statement.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = _field(where, tuple(err["loc"]))
        message = err["msg"].removeprefix("Value error, ")
        raise InvalidInput(f"{field}: {message}", field=field) from exc
    if version.startswith("1.0"):
        _refuse_2_0_only(statement, where)
    if statement.attachments:
        for i, attachment in enumerate(statement.attachments):
            if attachment.fileUrl is None:
                field = _field(where, ("attachments", i, "fileUrl"))
                raise InvalidInput(
                    f"{field}: this LRS takes attachments by fileUrl only (no multipart bodies)",
                    field=field,
                )
    timestamp = statement.timestamp
    if timestamp is not None and version.startswith("2.0"):
        m = TIME_RE.match(timestamp)
        if m is None or m["offset"] is None:
            field = _field(where, ("timestamp",))
            raise InvalidInput(f"{field}: xAPI 2.0 timestamps carry an offset", field=field)
    return statement


def _refuse_lone_surrogates(data: dict[str, Any], where: str) -> None:
    """Text that is not Unicode (a lone UTF-16 surrogate such as ``\\ud800``, which JSON
    can escape) cannot be stored or sent back as UTF-8: 400 naming the property."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return
    stack: list[tuple[tuple[int | str, ...], Any]] = [((), data)]
    while stack:
        loc, value = stack.pop()
        items: Any = (
            value.items()
            if isinstance(value, dict)
            else enumerate(value)
            if isinstance(value, list)
            else ()
        )
        for key, item in items:
            bad = isinstance(key, str) and not _utf8(key)
            if bad or (isinstance(item, str) and not _utf8(item)):
                field = _field(where, (*loc, key))
                raise InvalidInput(f"{field}: not Unicode text (a lone surrogate)", field=field)
            stack.append(((*loc, key), item))


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _refuse_2_0_only(statement: Statement, where: str) -> None:
    for context in (statement.context, getattr(statement.object, "context", None)):
        if context is None:
            continue
        for name in ("contextAgents", "contextGroups"):
            if getattr(context, name) is not None:
                field = _field(where, ("context", name))
                raise InvalidInput(
                    f"{field} is xAPI 2.0: send X-Experience-API-Version 2.0.0", field=field
                )
