"""The one metadata model every source is normalized to.

Dataset, Distribution, Organization and ContactPoint carry every DCAT-US 1.1 field (values as published,
so a record round-trips to data.json unchanged) and the DCAT-US 3.0 fields a state catalog uses that 1.1
has no place for (a contact's telephone, free-text access rights, version, creation date, a
distribution's licence and dates, the dataset series it belongs to); CatalogRecord adds what the catalog
itself knows about a record (where it came from, when it was seen and changed, its content hash, whether
it was withdrawn and what is wrong with it).

Python attributes are snake_case; the JSON form uses the DCAT-US names (``accessLevel``, ``contactPoint``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Severity = Literal["error", "warning", "info"]


class NutmegModel(BaseModel):
    """Base: camelCase JSON names, snake_case attributes, unknown keys refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        serialize_by_alias=True,
    )


class Organization(NutmegModel):
    """dct:publisher — a foaf:Organization (DCAT-US ``org:Organization``)."""

    name: str
    sub_organization_of: Organization | None = None


class ContactPoint(NutmegModel):
    """dcat:contactPoint — a vcard:Kind."""

    fn: str | None = None
    has_email: str | None = None
    tel: str | None = None  # DCAT-US 3.0 (vcard:hasTelephone)


class Distribution(NutmegModel):
    """dcat:Distribution — one way to get the data."""

    title: str | None = None
    description: str | None = None
    download_url: str | None = Field(default=None, alias="downloadURL")
    access_url: str | None = Field(default=None, alias="accessURL")
    media_type: str | None = None
    format: str | None = None
    conforms_to: str | None = None
    described_by: str | None = None
    described_by_type: str | None = None
    license: str | None = None  # DCAT-US 3.0: licences live on distributions
    issued: str | None = None  # DCAT-US 3.0
    modified: str | None = None  # DCAT-US 3.0


class DatasetSeries(NutmegModel):
    """dcat:DatasetSeries (DCAT-US 3.0 ``inSeries``) — the series a dataset belongs to."""

    id: str | None = Field(default=None, alias="@id")
    title: str | None = None
    description: str | None = None


class Dataset(NutmegModel):
    """dcat:Dataset — the DCAT-US 1.1 dataset fields, values as published."""

    identifier: str
    title: str
    description: str | None = None
    keyword: list[str] = Field(default_factory=list)
    modified: str | None = None
    publisher: Organization | None = None
    contact_point: ContactPoint | None = None
    access_level: str | None = None
    bureau_code: list[str] = Field(default_factory=list)
    program_code: list[str] = Field(default_factory=list)
    license: str | None = None
    rights: str | None = None
    spatial: str | None = None
    temporal: str | None = None
    issued: str | None = None
    accrual_periodicity: str | None = None
    language: list[str] = Field(default_factory=list)
    data_quality: bool | None = None
    theme: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    landing_page: str | None = None
    is_part_of: str | None = None
    system_of_records: str | None = None
    primary_it_investment_uii: str | None = Field(default=None, alias="primaryITInvestmentUII")
    described_by: str | None = None
    described_by_type: str | None = None
    conforms_to: str | None = None
    distribution: list[Distribution] = Field(default_factory=list)
    # DCAT-US 3.0 fields with no 1.1 counterpart
    access_rights: str | None = None
    version: str | None = None
    created: str | None = None
    in_series: list[DatasetSeries] = Field(default_factory=list)


class Catalog(NutmegModel):
    """dcat:Catalog — the DCAT-US catalog wrapper (its datasets are streamed separately)."""

    context: str | None = Field(default=None, alias="@context")
    id: str | None = Field(default=None, alias="@id")
    type: str | None = Field(default=None, alias="@type")
    conforms_to: str | None = None
    described_by: str | None = None
    title: str | None = None
    description: str | None = None


class RecordIssue(NutmegModel):
    """Something wrong with (or done to) one record: a schema error, an unmapped field, a default."""

    path: str
    message: str
    severity: Severity = "error"
    code: str = "schema"


class CatalogRecord(NutmegModel):
    """A dataset as the catalog holds it: the model plus provenance and state."""

    id: str
    source: str
    original_identifier: str
    first_seen: datetime
    last_changed: datetime
    last_seen: datetime
    content_hash: str
    withdrawn: bool = False
    withdrawn_at: datetime | None = None
    issues: list[RecordIssue] = Field(default_factory=list)
    dataset: Dataset


Organization.model_rebuild()
