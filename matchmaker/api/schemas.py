"""The API's request and response schemas; the OpenAPI document is generated from these."""

from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from matchmaker.docking.followup import MAX_CONTRACT_WAN
from matchmaker.entries import deadlines
from matchmaker.entries.reference import DISTRICTS, FIELDS, QUALIFICATIONS
from matchmaker.web.dates import local_time, local_today
from matchmaker.web.text import BMP_INVISIBLE
from models.capability import CapabilityBase
from models.scenario import ScenarioBase

MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database

# Text the database can hold and a person can read: no control characters (PostgreSQL refuses
# NUL outright), and where a field is required, not blank. Written out rather than as \s so
# that pydantic's regex engine and API clients' JSON Schema validators agree on every
# character. Invisible and direction-changing characters are refused with them (the web
# forms remove them; here the schema must say what is accepted). (Text is stored as sent;
# unlike the web forms, the API does not strip it, since lengths must mean the same to the
# client's validator and to the platform.)
_CONTROL = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f" + BMP_INVISIBLE
_SPACE = r"\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
PRINTABLE = rf"^[^{_CONTROL}]*$"
NON_BLANK = rf"^[^{_CONTROL}]*[^{_CONTROL}{_SPACE}][^{_CONTROL}]*$"


def text(max_length: int, *, min_length: int | None = None, blank: bool = True) -> Any:
    """A string of at most `max_length` printable characters (and some not blank)."""
    pattern = PRINTABLE if blank else NON_BLANK
    return Annotated[
        str, StringConstraints(min_length=min_length, max_length=max_length, pattern=pattern)
    ]


# Stored in UTC, answered in China Standard Time with its offset: the same instant, and the
# same clock as the pages.
LocalDateTime = Annotated[datetime, AfterValidator(local_time)]
FieldName = Literal[FIELDS]  # type: ignore[valid-type]
DistrictName = Literal[("",) + DISTRICTS]  # type: ignore[valid-type]
QualificationName = Literal[QUALIFICATIONS]  # type: ignore[valid-type]
Stage = Literal["contacted", "negotiating", "signed", "closed"]


# ---------------------------------------------------------------------------- query parameters


class QueryParams(BaseModel):
    """Parameters read from the query string (lax: every value arrives as text)."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


class Paging(QueryParams):
    page: int = Field(default=1, ge=1, le=10_000, description="Page number, from 1.")
    per_page: int = Field(default=20, ge=1, le=100, description="Items per page (at most 100).")


class EntryListParams(Paging):
    q: text(100) = Field(  # type: ignore[valid-type]
        default="",
        description="Words to search for in title, summary, description and tags; "
        "Traditional and full-width characters find their Simplified forms.",
    )
    field: text(40) = Field(  # type: ignore[valid-type]
        default="", description="Only this field, e.g. 智慧政务."
    )
    district: text(40) = Field(  # type: ignore[valid-type]
        default="", description="Only this district, e.g. 渝北区."
    )
    batch: int | None = Field(default=None, ge=1, le=MAX_ID, description="Only this batch id.")


class ScenarioListParams(EntryListParams):
    status: Literal["published", "closed"] | None = Field(
        default=None, description="Published (open) or closed scenarios; both when absent."
    )
    sort: Literal["newest", "title", "deadline", "budget"] = "newest"


class CapabilityListParams(EntryListParams):
    sort: Literal["newest", "title"] = "newest"


class PairingListParams(Paging):
    field: text(40) = Field(  # type: ignore[valid-type]
        default="", description="Only pairings where either side is in this field."
    )
    district: text(40) = Field(  # type: ignore[valid-type]
        default="", description="Only pairings where either side is in this district."
    )
    batch: int | None = Field(default=None, ge=1, le=MAX_ID, description="Only this batch id.")


class RecommendationListParams(PairingListParams):
    status: Literal["recommended", "approved", "rejected", "published"] = Field(
        default="recommended", description="The review queue (recommended) by default."
    )
    min_score: float | None = Field(default=None, ge=0, le=1000, description="Lowest score.")
    max_score: float | None = Field(default=None, ge=0, le=1000, description="Highest score.")


# ---------------------------------------------------------------------------- responses


class Schema(BaseModel):
    """A response schema, filled from table rows."""

    model_config = ConfigDict(from_attributes=True)


class OrganisationRef(Schema):
    """The organisation behind an entry (public facts only)."""

    id: int
    name: str
    kind: Literal["demand", "supply", "authority"]
    district: str
    verified: bool


class EntryPublic(Schema):
    id: int
    code: str | None = Field(description="The entry's number in a published list, e.g. S0001.")
    title: str
    summary: str
    description: str
    field: str
    district: str
    tags: list[str]
    batch_id: int | None
    version: int = Field(description="Send this back when changing the entry (optimistic lock).")
    published_at: LocalDateTime | None
    updated_at: LocalDateTime
    organisation: OrganisationRef


class ScenarioPublic(EntryPublic):
    """An application scenario (应用场景)."""

    status: Literal["draft", "submitted", "published", "closed"]
    problem: str
    target_users: str
    current_state: str
    expected_outcome: str
    budget_min_wan: float | None
    budget_max_wan: float | None
    deadline: date | None
    contact_name: str | None = Field(
        description="Only on published scenarios (and to the owner and officials); else null."
    )
    contact_phone: str | None = Field(
        description="Only on published scenarios (and to the owner and officials); else null."
    )


class CapabilityPublic(EntryPublic):
    """A capability (企业能力)."""

    status: Literal["draft", "submitted", "published", "withdrawn"]
    products: list[str]
    cases: list[str] = Field(
        description="Reference cases; to others than the firm and officials, only those whose "
        "evidence an official verified and that are in force."
    )
    qualifications: list[str] = Field(
        description="Qualifications; to others than the firm and officials, only those whose "
        "evidence an official verified and that are in force (GET /claims for the firm's own)."
    )


class Owned(BaseModel):
    """What only the owning organisation (and officials) see in addition."""

    review_note: str = Field(description="The reviewing official's note, if any.")
    created_at: LocalDateTime


class ScenarioOwned(ScenarioPublic, Owned):
    """A scenario as its owner sees it, drafts included."""


class CapabilityOwned(CapabilityPublic, Owned):
    """A capability as its owner sees it, drafts included."""


class BatchPublic(Schema):
    """A numbered publication (e.g. 2023年第一批) and what it published."""

    id: int
    name: str
    year: int
    number: int
    note: str
    published_at: LocalDateTime | None
    scenarios: int = Field(description="Published scenarios in this batch.")
    capabilities: int = Field(description="Published capabilities in this batch.")
    pairings: int = Field(description="Published pairings in this batch.")


class EntryRef(Schema):
    """One side of a pairing, in brief."""

    id: int
    title: str
    field: str
    district: str
    organisation: str


class Term(Schema):
    term: str
    weight: float


class Reason(Schema):
    code: str = Field(
        description="e.g. same_field, concept (equivalent forms), related_concept (related "
        "topics), latent_firm, near_best_capabilities; docs/matcher.md lists every code"
    )
    value: str


class Explanation(Schema):
    """Why the matcher paired the two entries, in terms a person can check."""

    terms: list[Term] = Field(description="Shared key terms and their weights.")
    matched_tags: list[str]
    reasons: list[Reason]
    parts: dict[str, float] = Field(description="The score's parts by signal.")


class DockingStatus(Schema):
    """The latest step of the docking follow-up (供需对接跟踪)."""

    stage: Stage
    occurred_on: date


class PairingPublic(Schema):
    """A published pairing of a scenario and a capability."""

    id: int
    scenario: EntryRef
    capability: EntryRef
    score: float
    source: Literal["matcher", "interest"]
    batch_id: int | None
    explanation: Explanation
    docking: DockingStatus | None = Field(description="Null until a docking step is recorded.")


class Recommendation(Schema):
    """A pairing as officials review it: any status, with its version and the decision."""

    id: int
    scenario: EntryRef
    capability: EntryRef
    score: float
    source: Literal["matcher", "interest"]
    status: Literal["recommended", "approved", "rejected", "published"]
    version: int = Field(description="Send this back with a decision (optimistic lock).")
    note: str = Field(description="The reviewing official's note.")
    reviewer_id: int | None
    decided_at: LocalDateTime | None
    batch_id: int | None
    explanation: Explanation


class DockingStep(Schema):
    """One recorded step of a pairing's docking follow-up."""

    id: int
    pairing_id: int
    stage: Stage
    occurred_on: date
    note: str
    contract_amount_wan: float | None
    reason: str
    organisation_id: int = Field(description="The party that recorded the step.")
    created_at: LocalDateTime
    corrects_id: int | None = Field(
        default=None, description="The step recorded in error that this step replaces."
    )


class DockingTimeline(Schema):
    """A pairing's docking steps in the order they happened. A step replaced by a correction
    is left out; the correcting step names it in `corrects_id`."""

    pairing_id: int
    steps: list[DockingStep]


class Me(Schema):
    """The account a token belongs to."""

    id: int
    name: str
    email: str
    role: Literal["member", "org_admin", "official", "admin"]
    organisation: OrganisationRef


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="Matching items on all pages.")
    page: int = Field(description="This page's number (the last page if one past it was asked).")
    pages: int
    per_page: int
    capped: bool = Field(
        default=False,
        description="True when more items match than `total` says: a search matching more "
        "than 1,000 stops counting there (counting them all would read them all), and its "
        "pages stop there too. Add words or filters to narrow it down.",
    )

    @classmethod
    def of(cls, items: list[Any], found: Any, per_page: int) -> "Page[T]":
        """This page of `items`; `found` is the search's page (total, page, pages, capped)."""
        return cls(
            items=items,
            total=found.total,
            page=found.page,
            pages=found.pages,
            per_page=per_page,
            capped=found.capped,
        )


class ScenarioPage(Page[ScenarioPublic]):
    """A page of scenarios."""


class CapabilityPage(Page[CapabilityPublic]):
    """A page of capabilities."""


class BatchPage(Page[BatchPublic]):
    """A page of batches."""


class PairingPage(Page[PairingPublic]):
    """A page of published pairings."""


class RecommendationPage(Page[Recommendation]):
    """A page of the review queue."""


# ---------------------------------------------------------------------------- evidence

ClaimKindName = Literal["qualification", "case"]


class EvidenceListParams(Paging):
    status: Literal["pending", "approved", "rejected", "replaced", "withdrawn"] = Field(
        default="pending", description="The officials' queue (pending) by default."
    )


class EvidenceFile(Schema):
    """One file backing a claim, and where it stands. The file itself is served only on the
    web, to its organisation and to officials (`/evidence/{id}/file`)."""

    id: int
    organisation: OrganisationRef
    kind: ClaimKindName
    claim: str = Field(description="The qualification's name, or the reference case as written.")
    status: Literal["pending", "approved", "rejected", "replaced", "withdrawn"]
    filename: str
    media_type: Literal["application/pdf", "image/jpeg", "image/png"]
    size: int = Field(description="Bytes.")
    sha256: str
    expires_on: date | None = Field(description="Set by the approving official, if any.")
    reason: str = Field(description="The official's reason, on a rejected file.")
    replaces_id: int | None = Field(description="The file of the same claim this one followed.")
    uploaded_at: LocalDateTime
    decided_at: LocalDateTime | None
    version: int


class EvidencePage(Page[EvidenceFile]):
    """A page of evidence files."""


class ClaimStatus(Schema):
    """A claim of the organisation and where its evidence stands."""

    kind: ClaimKindName
    name: str
    state: Literal["unbacked", "pending", "verified", "expiring", "expired", "rejected"] = Field(
        description="verified and expiring (within 30 days) count and are shown to the public; "
        "expired and rejected claims count nowhere; unbacked and pending ones count in "
        "matching but are not shown as verified."
    )
    expires_on: date | None
    claimed: bool = Field(description="Still named on the organisation or its capabilities.")
    files: list[EvidenceFile] = Field(description="Newest first, history included.")


class ClaimList(BaseModel):
    """Every claim of the token's organisation."""

    items: list[ClaimStatus]


# ---------------------------------------------------------------------------- request bodies
# Bodies are strict (a number is a number, not "5") and closed (unknown or protected fields
# are refused by name). Their length and range limits are read from the tables' own fields,
# so the API and the web forms accept the same text.

BODY = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def _limits(base: type[BaseModel], name: str) -> dict[str, Any]:
    limits: dict[str, Any] = {}
    for item in base.model_fields[name].metadata:
        for key in ("min_length", "max_length", "ge", "le"):
            if hasattr(item, key):
                limits[key] = getattr(item, key)
    return limits


def text_of(base: type[BaseModel], name: str, *, blank: bool = True) -> Any:
    """Printable text within the table field's length limits."""
    pattern = PRINTABLE if blank else NON_BLANK
    return Annotated[str, StringConstraints(pattern=pattern, **_limits(base, name))]


def amount_of(base: type[BaseModel], name: str) -> Any:
    """A finite number within the table field's range, or null."""
    return Annotated[float, Field(**_limits(base, name))] | None


def items(max_items: int, max_length: int) -> Any:
    """A list of at most `max_items` non-blank texts of at most `max_length`."""
    return Annotated[list[text(max_length, blank=False)], Field(max_length=max_items)]


# The web form's list limits (matchmaker/editing.py): 12 tags of 30, 20 products of 80,
# 20 reference cases of 300 characters.
Tags = items(12, 30)
Products = items(20, 80)
Cases = items(20, 300)
Qualifications = Annotated[list[QualificationName], Field(max_length=len(QUALIFICATIONS))]  # type: ignore[valid-type]


SCENARIO_EXAMPLE = {
    "title": "政务大厅材料智能预审",
    "summary": "自助大厅材料识别与预审",
    "description": "24小时自助政务大厅需要对申请人提交的材料进行识别和自动预审。",
    "field": "智慧政务",
    "district": "渝北区",
    "tags": ["OCR", "身份核验"],
    "problem": "人工预审排队久，退件率高。",
    "budget_min_wan": 50,
    "budget_max_wan": 120,
    "deadline": "2030-06-30",
    "contact_name": "王科长",
    "contact_phone": "023-67000000",
}
CAPABILITY_EXAMPLE = {
    "title": "证照OCR识别平台",
    "description": "基于深度学习的文字识别，支持证照、票据和手写体，准确率99%以上。",
    "field": "人工智能",
    "district": "两江新区",
    "tags": ["OCR"],
    "products": ["慧识OCR"],
    "cases": ["2023年 某区政务服务中心 证照识别"],
    "qualifications": ["高新技术企业"],
}


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(**BODY, json_schema_extra={"examples": list(examples)})


class ScenarioCreate(BaseModel):
    """A new application scenario, saved as a draft of the token owner's organisation."""

    model_config = _examples(SCENARIO_EXAMPLE)
    title: text_of(ScenarioBase, "title", blank=False)  # type: ignore[valid-type]
    summary: text_of(ScenarioBase, "summary") = ""  # type: ignore[valid-type]
    description: text_of(ScenarioBase, "description", blank=False)  # type: ignore[valid-type]
    field: FieldName  # type: ignore[valid-type]
    district: DistrictName = Field(default="", description="Empty for citywide.")  # type: ignore[valid-type]
    tags: Tags = Field(default_factory=list)  # type: ignore[valid-type]
    problem: text_of(ScenarioBase, "problem") = ""  # type: ignore[valid-type]
    target_users: text_of(ScenarioBase, "target_users") = ""  # type: ignore[valid-type]
    current_state: text_of(ScenarioBase, "current_state") = ""  # type: ignore[valid-type]
    expected_outcome: text_of(ScenarioBase, "expected_outcome") = ""  # type: ignore[valid-type]
    budget_min_wan: amount_of(ScenarioBase, "budget_min_wan") = None  # type: ignore[valid-type]
    budget_max_wan: amount_of(ScenarioBase, "budget_max_wan") = Field(  # type: ignore[valid-type]
        default=None, description="Not below budget_min_wan."
    )
    deadline: date | None = Field(default=None, description="Today or later (China time).")
    contact_name: text_of(ScenarioBase, "contact_name") = ""  # type: ignore[valid-type]
    contact_phone: text_of(ScenarioBase, "contact_phone") = Field(  # type: ignore[valid-type]
        default="",
        description="Empty, a mobile number or a landline with its area code.",
        json_schema_extra={"pattern": f"^$|{deadlines.PHONE_PATTERN}"},
    )

    @field_validator("deadline")
    @classmethod
    def _deadline_ahead(cls, value: date | None) -> date | None:
        if deadlines.passed(value, local_today()):
            raise PydanticCustomError("deadline_past", "the deadline has passed")
        return value

    @field_validator("contact_phone")
    @classmethod
    def _phone_diallable(cls, value: str) -> str:
        if not deadlines.phone_ok(value):
            raise PydanticCustomError("phone_format", "not a phone number")
        return value

    @model_validator(mode="after")
    def _budget_in_order(self) -> "ScenarioCreate":
        # The table checks this too, but with an English-only message; this error carries a
        # code the problem document translates.
        low, high = self.budget_min_wan, self.budget_max_wan
        if low is not None and high is not None and low > high:
            raise PydanticCustomError("budget_order", "budget minimum exceeds maximum")
        return self


class CapabilityCreate(BaseModel):
    """A new capability, saved as a draft of the token owner's organisation."""

    model_config = _examples(CAPABILITY_EXAMPLE)
    title: text_of(CapabilityBase, "title", blank=False)  # type: ignore[valid-type]
    summary: text_of(CapabilityBase, "summary") = ""  # type: ignore[valid-type]
    description: text_of(CapabilityBase, "description", blank=False)  # type: ignore[valid-type]
    field: FieldName  # type: ignore[valid-type]
    district: DistrictName = Field(default="", description="Empty for citywide.")  # type: ignore[valid-type]
    tags: Tags = Field(default_factory=list)  # type: ignore[valid-type]
    products: Products = Field(default_factory=list)  # type: ignore[valid-type]
    cases: Cases = Field(default_factory=list)  # type: ignore[valid-type]
    qualifications: Qualifications = Field(default_factory=list)  # type: ignore[valid-type]


def _whole(value: Any) -> Any:
    # JSON Schema counts 3.0 as an integer; so does the API (3.5 stays an error).
    return int(value) if isinstance(value, float) and value.is_integer() else value


WholeNumber = Annotated[int, BeforeValidator(_whole)]


class Versioned(BaseModel):
    # Below MAX_ID: a change stores version + 1, which must still fit the column.
    version: WholeNumber = Field(ge=1, le=MAX_ID - 1, description="The version you last read.")


class ScenarioUpdate(ScenarioCreate, Versioned):
    """The whole editable scenario, replacing the stored one if `version` is still current."""

    model_config = _examples(SCENARIO_EXAMPLE | {"version": 1})


class CapabilityUpdate(CapabilityCreate, Versioned):
    """The whole editable capability, replacing the stored one if `version` is still current."""

    model_config = _examples(CAPABILITY_EXAMPLE | {"version": 1})


class Submit(Versioned):
    """Send a draft to the officials for review."""

    model_config = BODY


# A decision and a docking step take different fields depending on their kind; a tagged
# union says so in the schema itself (a rejection needs a note, a signature an amount), so a
# client's JSON Schema validator catches what the platform would refuse.


class Approve(Versioned):
    """Approve a recommended pairing; it can then be published in a batch."""

    model_config = BODY
    decision: Literal["approve"]
    note: text(500) = ""  # type: ignore[valid-type]


class Reject(Versioned):
    """Reject a recommended pairing; the firm is told the note."""

    model_config = BODY
    decision: Literal["reject"]
    note: text(500, blank=False) = Field(description="Why: the firm is told.")  # type: ignore[valid-type]


class Decision(RootModel[Annotated[Approve | Reject, Field(discriminator="decision")]]):
    """An official's decision on one recommended pairing."""


class _Step(BaseModel):
    model_config = BODY
    occurred_on: date = Field(
        description="Not in the future, nor before the pairing's publication or its last step."
    )
    note: text(1000) = ""  # type: ignore[valid-type]


class Progress(_Step):
    """Contacted, or negotiating."""

    stage: Literal["contacted", "negotiating"]


class Signed(_Step):
    """A contract was signed; its amount is required."""

    stage: Literal["signed"]
    contract_amount_wan: float = Field(ge=0.01, le=float(MAX_CONTRACT_WAN))


class Closed(_Step):
    """The docking ended without a contract; the reason is required."""

    stage: Literal["closed"]
    reason: text(500, blank=False)  # type: ignore[valid-type]


class DockingStepCreate(
    RootModel[Annotated[Progress | Signed | Closed, Field(discriminator="stage")]]
):
    """A step of the docking follow-up; stages only go forward."""


# ---------------------------------------------------------------------------- saved searches

SearchFrequency = Literal["immediately", "daily", "weekly", "never"]
Budget = Annotated[int, Field(ge=0, le=1_000_000)] | None
Days = Annotated[int, Field(ge=0, le=3650)] | None
SAVED_SEARCH_EXAMPLE = {
    "name": "政务OCR",
    "kind": "scenarios",
    "q": "OCR",
    "fields": ["智慧政务"],
    "districts": ["渝北区"],
    "budget_min_wan": 50,
    "deadline_min_days": 14,
    "matched": False,
    "frequency": "daily",
    "public": False,
}


class SavedSearchValues(BaseModel):
    """What a saved search looks for, how often it tells its owner, and who may read it."""

    model_config = _examples(SAVED_SEARCH_EXAMPLE)
    name: text(60, min_length=1, blank=False)  # type: ignore[valid-type]
    q: text(100) = Field(  # type: ignore[valid-type]
        default="", description="Words every result holds (or another name of their concept)."
    )
    fields: Annotated[list[FieldName], Field(max_length=len(FIELDS))] = Field(  # type: ignore[valid-type]
        default_factory=list, description="Any of these fields; empty for every field."
    )
    districts: Annotated[list[Literal[DISTRICTS]], Field(max_length=len(DISTRICTS))] = Field(  # type: ignore[valid-type]
        default_factory=list, description="Any of these districts; empty for every district."
    )
    budget_min_wan: Budget = Field(
        default=None, description="Scenarios only (ignored for capabilities): budget reaching this."
    )
    budget_max_wan: Budget = Field(
        default=None, description="Scenarios only: budget starting at or below this (万元)."
    )
    deadline_min_days: Days = Field(
        default=None, description="Scenarios only: deadline at least this many days away."
    )
    deadline_max_days: Days = Field(
        default=None, description="Scenarios only: deadline within this many days."
    )
    matched: bool = Field(
        default=False,
        description="Only entries the matcher finds fitting your organisation's own published "
        "entries: scenarios for a verified firm, capabilities for a verified buyer (422 "
        "otherwise).",
    )
    frequency: SearchFrequency = Field(
        default="daily", description="How often new finds reach the inbox and e-mail."
    )
    public: bool = Field(
        default=False, description="Anyone may read its page and Atom feed when true."
    )


class SavedSearchCreate(SavedSearchValues):
    """A new saved search of the scenario or the capability list."""

    kind: Literal["scenarios", "capabilities"] = Field(description="Which list it searches.")


class SavedSearchUpdate(SavedSearchValues, Versioned):
    """Every value of a saved search, replaced (its list stays the one it was saved for)."""


class SavedSearchOut(Schema):
    """One of your saved searches."""

    id: int
    name: str
    kind: Literal["scenarios", "capabilities"]
    q: str
    fields: list[str]
    districts: list[str]
    budget_min_wan: int | None
    budget_max_wan: int | None
    deadline_min_days: int | None
    deadline_max_days: int | None
    matched: bool
    frequency: SearchFrequency
    public: bool
    version: int = Field(description="Send this back when changing or deleting it.")
    created_at: LocalDateTime
    updated_at: LocalDateTime


class SavedSearchList(BaseModel):
    """All your saved searches, newest first (an account keeps at most 50)."""

    items: list[SavedSearchOut]


class Found(BaseModel):
    """An entry a saved search finds; for one that follows fits, what it fits and why."""

    id: int
    title: str
    field: str
    district: str
    published_at: LocalDateTime | None
    score: float | None = Field(description="The matcher's score of the fit (fits only).")
    fits: str | None = Field(description="Your organisation's entry it fits best (fits only).")
    terms: list[Term]
    matched_tags: list[str]
    reasons: list[Reason]


class FoundPage(Page[Found]):
    """A page of what a saved search finds now."""
