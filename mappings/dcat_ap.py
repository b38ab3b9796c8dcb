"""The DCAT-AP 3 export profile: the shared DCAT-US ↔ DCAT tables, with the rows DCAT-AP constrains
written the way its SHACL shapes (``tests/data/shacl/``) require.

The shared tables (``mappings.dcatus``) keep every value as published, which is right for reading and
round trips but not conformant: DCAT-AP wants every range typed (a licence is a ``dct:LicenseDocument``,
a landing page a ``foaf:Document``), dates typed ``xsd:date``/``xsd:dateTime``, frequencies, languages,
formats and access rights from the EU vocabularies, themes as IRIs, and an access URL on every
distribution. This profile overrides those rows (a table of codecs keyed by the DCAT-US field) and
leaves out what cannot be said conformantly (an ``issued`` of "N/A"): data.json and the JSON API still
carry every value as published.

Values are untrusted: an IRI is only written as an IRI when it is one (``rdfterms.is_iri``); anything
else becomes a labelled blank node where DCAT-AP allows one, or is left out.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from functools import cache
from urllib.parse import quote, unquote

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from mappings.datajson_export import FREQUENCIES as FREQUENCY_WORDS
from mappings.dcatus import (
    CONTACT_FIELDS,
    DATASET_FIELDS,
    DISTRIBUTION_FIELDS,
    ORGANIZATION_FIELDS,
    Codec,
    FieldMap,
    JSONValue,
    LocationCodec,
    MediaTypeCodec,
    NestedCodec,
)
from mappings.derive import format_label
from mappings.graphs import bnode, plain
from mappings.model import Distribution
from mappings.rdfterms import date_literal, is_iri
from mappings.vocab import DCAT, DCTERMS, FOAF, RDF, RDFS, SCHEMA, SKOS, VCARD, XSD

EU = "http://publications.europa.eu/resource/authority/"
TYPED_DATES = frozenset({XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth})

# DCAT-US accrualPeriodicity (ISO 8601 repeating durations, as the POD schema lists them) → EU frequency.
FREQUENCIES: dict[str, str] = {
    "R/P10Y": "DECENNIAL",
    "R/P4Y": "QUADRENNIAL",
    "R/P3Y": "TRIENNIAL",
    "R/P2Y": "BIENNIAL",
    "R/P1Y": "ANNUAL",
    "R/P6M": "ANNUAL_2",
    "R/P4M": "ANNUAL_3",
    "R/P3M": "QUARTERLY",
    "R/P2M": "BIMONTHLY",
    "R/P1M": "MONTHLY",
    "R/P0.5M": "MONTHLY_2",
    "R/P0.33M": "MONTHLY_3",
    "R/P2W": "BIWEEKLY",
    "R/P1W": "WEEKLY",
    "R/P3.5D": "WEEKLY_2",
    "R/P0.5W": "WEEKLY_2",
    "R/P0.33W": "WEEKLY_3",
    "R/P1D": "DAILY",
    "R/PT12H": "DAILY_2",
    "R/PT1H": "HOURLY",
    "R/PT1S": "UPDATE_CONT",
    "irregular": "IRREG",
}

# ISO 639-1 (what DCAT-US ``language`` starts with: ``en-US``) → EU language authority code.
LANGUAGES: dict[str, str] = {
    "ar": "ARA",
    "bg": "BUL",
    "bn": "BEN",
    "cs": "CES",
    "da": "DAN",
    "de": "DEU",
    "el": "ELL",
    "en": "ENG",
    "es": "SPA",
    "et": "EST",
    "fa": "FAS",
    "fi": "FIN",
    "fr": "FRA",
    "ga": "GLE",
    "he": "HEB",
    "hi": "HIN",
    "hr": "HRV",
    "ht": "HAT",
    "hu": "HUN",
    "it": "ITA",
    "ja": "JPN",
    "km": "KHM",
    "ko": "KOR",
    "lt": "LIT",
    "lv": "LAV",
    "mt": "MLT",
    "nl": "NLD",
    "pl": "POL",
    "pt": "POR",
    "ro": "RON",
    "ru": "RUS",
    "sk": "SLK",
    "sl": "SLV",
    "so": "SOM",
    "sv": "SWE",
    "tl": "TGL",
    "tr": "TUR",
    "uk": "UKR",
    "ur": "URD",
    "vi": "VIE",
    "zh": "ZHO",
}

# Short format labels (``derive.format_label``) → EU file-type code.
FILE_TYPES: dict[str, str] = {
    "CSV": "CSV",
    "JSON": "JSON",
    "GeoJSON": "GEOJSON",
    "JSON-LD": "JSON_LD",
    "XML": "XML",
    "RDF": "RDF",
    "XLS": "XLS",
    "XLSX": "XLSX",
    "PDF": "PDF",
    "ZIP": "ZIP",
    "KML": "KML",
    "KMZ": "KMZ",
    "SHP": "SHP",
    "HTML": "HTML",
    "TXT": "TXT",
    "RSS": "RSS",
    "Atom": "ATOM",
    "DOC": "DOC",
    "DOCX": "DOCX",
    "TSV": "TSV",
    "WMS": "WMS_SRVC",
    "WFS": "WFS_SRVC",
    "NetCDF": "NETCDF",
    "TIFF": "TIFF",
    "PNG": "PNG",
    "JPEG": "JPEG",
    "Parquet": "PARQUET",
    "SQL": "SQL",
    "GeoPackage": "GPKG",
}

# DCAT-US accessLevel → EU access right.
ACCESS_RIGHTS: dict[str, str] = {
    "public": "PUBLIC",
    "restricted public": "RESTRICTED",
    "non-public": "NON_PUBLIC",
}

_ISO_FREQUENCY = re.compile(r"R/P[0-9YMWDTHS.]+")
_LANGUAGE = re.compile(r"^([A-Za-z]{2})(?:[-_].*)?$")


# rdflib's closed namespaces resolve attributes slowly; the hot terms are looked up once.
_TYPE, _LABEL, _PREF_LABEL = RDF.type, RDFS.label, SKOS.prefLabel
_AGENT, _CONCEPT, _LOCATION, _PERIOD = FOAF.Agent, SKOS.Concept, DCTERMS.Location, DCTERMS.PeriodOfTime
_MEDIA_TYPE, _START, _END = DCTERMS.MediaType, DCAT.startDate, DCAT.endDate


def _typed(graph: Graph, node: URIRef, rdf_type: URIRef) -> URIRef:
    graph.add((node, _TYPE, rdf_type))
    return node


def _labelled(graph: Graph, text: str, rdf_type: URIRef) -> Node:
    node = bnode()
    graph.add((node, _TYPE, rdf_type))
    graph.add((node, _LABEL, plain(text)))
    return node


def _text(value: JSONValue) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


class WriteOnly(Codec):
    """A codec of the export profile: reading DCAT-AP back is the shared tables' job."""

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        raise NotImplementedError("the DCAT-AP profile only writes; read with mappings.dcatus")


class Iri(WriteOnly):
    """An IRI, only when the value is one."""

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _text(value)
        return URIRef(text) if text and is_iri(text) else None


class TypedIri(WriteOnly):
    """An IRI typed with the class DCAT-AP gives the property's range; with ``label_type``, text becomes
    a blank node of that class labelled with it; otherwise text is left out."""

    def __init__(self, rdf_type: URIRef, label_type: URIRef | None = None) -> None:
        self.rdf_type = rdf_type
        self.label_type = label_type

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _text(value)
        if text is None:
            return None
        if is_iri(text):
            return _typed(graph, URIRef(text), self.rdf_type)
        return _labelled(graph, " ".join(text.split()), self.label_type) if self.label_type else None


class Vocabulary(WriteOnly):
    """A value looked up in a table and written as the EU vocabulary IRI (typed); unknown ones left out."""

    def __init__(self, scheme: str, table: Mapping[str, str], rdf_type: URIRef) -> None:
        self.base = f"{EU}{scheme}/"
        self.table = table
        self.rdf_type = rdf_type

    def key(self, text: str) -> str:
        return text

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _text(value)
        code = self.table.get(self.key(text)) if text else None
        return _typed(graph, URIRef(self.base + code), self.rdf_type) if code else None


class Frequency(Vocabulary):
    def key(self, text: str) -> str:
        iso = _ISO_FREQUENCY.search(text)
        if iso:
            return iso.group(0)
        return FREQUENCY_WORDS.get(" ".join(text.split()).lower().rstrip("."), text)


class Language(Vocabulary):
    def key(self, text: str) -> str:
        match = _LANGUAGE.match(text)
        return match.group(1).lower() if match else text


_BASIC_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_BASIC_DATETIME = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{2}:?\d{2})?$")
_YEAR_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def typed_date(text: str) -> Literal | None:
    """An ISO 8601 date, datetime, year or year-month as the typed literal DCAT-AP wants; the basic format
    (``20201117``, ``20201117T101500Z``) is written in the extended one. ``None`` for anything else."""
    text = text.strip()
    if _YEAR_MONTH.match(text):
        return Literal(text, datatype=XSD.gYearMonth, normalize=False)
    basic = _BASIC_DATE.match(text)
    if basic:
        text = "-".join(basic.groups())
    stamp = _BASIC_DATETIME.match(text)
    if stamp:
        year, month, day, hour, minute, second, zone = stamp.groups()
        text = f"{year}-{month}-{day}T{hour}:{minute}:{second or '00'}{zone or ''}"
    literal = date_literal(text)
    return literal if literal.datatype in TYPED_DATES else None


class StrictDate(WriteOnly):
    """Typed ISO 8601 dates only (:func:`typed_date`); anything else is left to :class:`DateAsPublished`."""

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _text(value)
        return typed_date(text) if text else None


class DateAsPublished(WriteOnly):
    """A date DCAT-AP cannot type (``R/P1W``, "N/A") as the plain literal it was published as, under
    schema.org's property (DCAT-AP constrains only its own): it stays in the RDF, and reading the RDF back
    (schema.org's properties are read where DCAT's are missing) recovers it."""

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _text(value)
        return plain(" ".join(text.split())) if text and typed_date(text) is None else None


_DATE = StrictDate()
_AS_PUBLISHED = DateAsPublished()


class Period(WriteOnly):
    """``temporal``: a dct:PeriodOfTime with typed start/end dates; anything else is left out."""

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _text(value)
        parts = text.split("/") if text else []
        if len(parts) != 2:
            return None
        start, end = (_DATE.to_rdf(graph, p) if p not in ("", "..") else None for p in parts)
        if start is None and end is None:
            return None
        node = bnode()
        graph.add((node, _TYPE, _PERIOD))
        for predicate, literal in ((_START, start), (_END, end)):
            if literal is not None:
                graph.add((node, predicate, literal))
        return node


class Location(WriteOnly):
    """``spatial``: an IRI typed dct:Location, or the shared labelled location (with its bbox)."""

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        node = LocationCodec().to_rdf(graph, value)
        if isinstance(node, URIRef):
            return _typed(graph, node, _LOCATION)
        return None if isinstance(node, Literal) else node


class Theme(WriteOnly):
    """``theme``: DCAT-AP wants an IRI. A theme IRI stays; a theme name becomes the catalog's own concept,
    ``<base>/?theme=<name>`` (the search page of that theme), labelled with the name."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _text(value)
        if text is None:
            return None
        label = " ".join(text.split())
        iri = URIRef(text) if is_iri(text) else URIRef(f"{self.base_url}/?theme={quote(label, safe='')}")
        _typed(graph, iri, _CONCEPT)
        if graph.value(iri, _PREF_LABEL) is None:  # DCAT-AP: every skos:Concept has a preferred label
            graph.add((iri, _PREF_LABEL, plain(concept_label(text) if is_iri(text) else label)))
        return iri


# The EU data themes (publications.europa.eu/resource/authority/data-theme), by code.
DATA_THEMES: dict[str, str] = {
    "AGRI": "Agriculture, fisheries, forestry and food",
    "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport",
    "ENER": "Energy",
    "ENVI": "Environment",
    "GOVE": "Government and public sector",
    "HEAL": "Health",
    "INTR": "International issues",
    "JUST": "Justice, legal system and public safety",
    "OP_DATPRO": "Provisional data",
    "REGI": "Regions and cities",
    "SOCI": "Population and society",
    "TECH": "Science and technology",
    "TRAN": "Transport",
}


def concept_label(iri: str) -> str:
    """A readable label for a concept known only by its IRI: an EU data theme's name, else the IRI's last
    segment (fragment or path), decoded, with separators as spaces; the IRI itself when it has none."""
    if "/authority/data-theme/" in iri:
        code = iri.rstrip("/").rsplit("/", 1)[-1]
        if code in DATA_THEMES:
            return DATA_THEMES[code]
    tail = re.split(r"[#/]", iri.rstrip("/#"))[-1]
    return " ".join(re.sub(r"[_+]+", " ", unquote(tail)).split()) or iri


class MediaType(WriteOnly):
    """``mediaType``: an IANA media-type IRI typed dct:MediaType (parameters dropped); others left out."""

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _text(value)
        node = MediaTypeCodec().to_rdf(graph, text.split(";", 1)[0].strip().lower()) if text else None
        return _typed(graph, node, _MEDIA_TYPE) if isinstance(node, URIRef) else None


class Agent(NestedCodec):
    """``publisher``: a foaf:Agent (and foaf:Organization) with its name."""

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        node = super().to_rdf(graph, value)
        if node is None or isinstance(node, Literal):
            return None
        graph.add((node, _TYPE, _AGENT))
        return node


class DistributionAP(NestedCodec):
    """A distribution with an access URL (DCAT-AP requires one: a download URL is also an access URL);
    one without any usable URL is left out."""

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        if not isinstance(value, dict):
            return None
        item = {k: v for k, v in value.items() if not isinstance(v, str) or v.strip()}
        for key in ("accessURL", "downloadURL"):
            if not is_iri(str(item.get(key, "")).strip()):
                item.pop(key, None)
        item.setdefault("accessURL", item.get("downloadURL"))
        if not item.get("accessURL"):
            return None
        item["format"] = format_label(Distribution.model_validate(_distribution_model(item)))
        return super().to_rdf(graph, item)


def _distribution_model(item: dict[str, JSONValue]) -> dict[str, JSONValue]:
    keys = ("title", "format", "mediaType", "downloadURL", "accessURL")
    return {k: v for k, v in item.items() if k in keys and isinstance(v, str)}


def _override(fields: tuple[FieldMap, ...], codecs: Mapping[str, Codec]) -> tuple[FieldMap, ...]:
    """The shared table with the profile's codecs (and no ``mirror`` predicates) where it has one."""
    return tuple(
        dataclasses.replace(f, codec=codecs[f.key], mirror=()) if f.key in codecs else dataclasses.replace(f, mirror=())
        for f in fields
    )


_DOCUMENT = TypedIri(FOAF.Document)
_STANDARD = TypedIri(DCTERMS.Standard)
_LICENSE = TypedIri(DCTERMS.LicenseDocument, DCTERMS.LicenseDocument)
_RIGHTS = TypedIri(DCTERMS.RightsStatement, DCTERMS.RightsStatement)

DISTRIBUTION_CODECS: dict[str, Codec] = {
    "accessURL": Iri(),
    "downloadURL": Iri(),
    "mediaType": MediaType(),
    "format": Vocabulary("file-type", FILE_TYPES, DCTERMS.MediaTypeOrExtent),
    "conformsTo": _STANDARD,
    "license": _LICENSE,
    "rights": _RIGHTS,
}


@cache
def _distribution_fields() -> tuple[FieldMap, ...]:
    extra = (
        FieldMap("license", DCTERMS.license, _LICENSE),
        FieldMap("rights", DCTERMS.rights, _RIGHTS),
    )
    return _override(DISTRIBUTION_FIELDS + extra, DISTRIBUTION_CODECS)


@cache
def _organization_fields() -> tuple[FieldMap, ...]:
    return _override(ORGANIZATION_FIELDS, {})


@cache
def _contact_fields() -> tuple[FieldMap, ...]:
    return _override(CONTACT_FIELDS, {})


@cache
def dataset_fields(base_url: str) -> tuple[FieldMap, ...]:
    """The profile's dataset table for a catalog at ``base_url`` (themes are minted under it)."""
    codecs: dict[str, Codec] = {
        "modified": _DATE,
        "issued": _DATE,
        "publisher": Agent(FOAF.Organization, _organization_fields),
        "contactPoint": NestedCodec(VCARD.Kind, _contact_fields),
        "license": _LICENSE,
        "rights": _RIGHTS,
        "spatial": Location(),
        "temporal": Period(),
        "accrualPeriodicity": Frequency("frequency", FREQUENCIES, DCTERMS.Frequency),
        "language": Language("language", LANGUAGES, DCTERMS.LinguisticSystem),
        "theme": Theme(base_url),
        "landingPage": _DOCUMENT,
        "conformsTo": _STANDARD,
        "distribution": DistributionAP(DCAT.Distribution, _distribution_fields),
    }
    access = FieldMap(
        "accessLevel", DCTERMS.accessRights, Vocabulary("access-right", ACCESS_RIGHTS, DCTERMS.RightsStatement)
    )
    as_published = (
        FieldMap("modified", SCHEMA.dateModified, _AS_PUBLISHED),
        FieldMap("issued", SCHEMA.datePublished, _AS_PUBLISHED),
    )
    return (*_override(DATASET_FIELDS, codecs), access, *as_published)
