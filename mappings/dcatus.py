"""The DCAT-US 1.1 ↔ DCAT correspondence, as tables.

Each row says which predicate a DCAT-US JSON field becomes (the official JSON-LD context
``catalog.jsonld`` is the reference) and which codec turns the value into RDF terms and back. Two short
loops apply the tables: :func:`json_to_graph` (a DCAT-US JSON object — a harvested data.json record or
the model's own JSON form — into a graph) and :func:`graph_to_json` (a dcat:Dataset node of any DCAT graph
back into DCAT-US JSON, which the model validates).

Choices where DCAT-US JSON and W3C DCAT / DCAT-AP differ (documented in ``docs/mapping.md``):

* ``publisher`` is a ``foaf:Organization`` with both ``foaf:name`` (DCAT-AP) and ``skos:prefLabel``
  (the DCAT-US context's ``name``); either is read back.
* ``contactPoint.hasEmail`` becomes ``vcard:hasEmail <mailto:…>`` (vCard 2006); ``vcard:email`` is read too.
* ``theme`` becomes a ``skos:Concept`` with a ``skos:prefLabel``; ``mediaType`` an IANA media-type IRI.
* ``temporal`` ``start/end`` becomes a ``dct:PeriodOfTime`` with ``dcat:startDate``/``dcat:endDate``;
  ``spatial`` a ``dct:Location`` labelled with the published string (plus ``dcat:bbox`` for a bbox).
* Dates keep their published lexical form (typed ``xsd:date``/``xsd:dateTime`` where they are ISO 8601).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from mappings.graphs import bnode, plain
from mappings.rdfterms import best_literal, date_literal, iri_or_literal, is_iri
from mappings.vocab import (
    DCAT,
    DCAT3,
    DCTERMS,
    FOAF,
    GSP,
    IANA_MEDIA,
    LOCN,
    ORG,
    POD,
    POWDER,
    RDF,
    RDFS,
    SCHEMA,
    SDO,
    SKOS,
    VCARD,
)

JSONValue = Any  # a value decoded from JSON: str, int, float, bool, None, list or dict

_MEDIA_TYPE = re.compile(r"^[-\w]+/[-\w]+(\.[-\w]+)*([+][-\w]+)?$")
_NUMBER = r"\s*([+-]?\d+(?:\.\d+)?)\s*"
_BBOX = re.compile(rf"^{_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}$")


class Codec:
    """Turns one JSON value into an RDF node (or None to skip) and an RDF node back into JSON."""

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        raise NotImplementedError

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        raise NotImplementedError


def _scalar(value: JSONValue) -> str | None:
    """A string for scalar JSON values; None for objects, arrays, null and empty strings."""
    if type(value) is str:
        return value if value and not value.isspace() else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return None


class TextCodec(Codec):
    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _scalar(value)
        return plain(text) if text is not None else None

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        if isinstance(node, BNode):
            return _label(graph, node)
        return str(node)


class IriCodec(Codec):
    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _scalar(value)
        return iri_or_literal(text) if text is not None else None

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        if isinstance(node, BNode):
            return _label(graph, node) or _first_str(graph, node, (FOAF.page, SCHEMA.url))
        return str(node)


class DateCodec(Codec):
    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _scalar(value)
        return date_literal(text) if text is not None else None

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        return None if isinstance(node, BNode) else str(node)


class BoolCodec(Codec):
    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        if isinstance(value, bool):
            return Literal(value, normalize=False)
        text = _scalar(value)
        return plain(text) if text is not None else None

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        text = str(node).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        return str(node)


class KeywordCodec(TextCodec):
    """``keyword``: schema.org ``keywords`` is often one comma-separated string; DCAT has one per value."""

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        text = super().from_rdf(graph, node)
        if isinstance(text, str) and "," in text and isinstance(node, Literal):
            return [part.strip() for part in text.split(",") if part.strip()]
        return text


class ConceptCodec(Codec):
    """``theme``: a skos:Concept labelled with the published string; IRIs stay IRIs."""

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _scalar(value)
        if text is None:
            return None
        if is_iri(text):
            return URIRef(text)
        concept = bnode()
        graph.add((concept, RDF.type, SKOS.Concept))
        graph.add((concept, SKOS.prefLabel, plain(text)))
        return concept

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        if isinstance(node, Literal):
            return str(node)
        label = _label(graph, node)
        return label if label is not None else (None if isinstance(node, BNode) else str(node))


class MediaTypeCodec(Codec):
    """``mediaType``: an IANA media-type IRI when it is a valid type/subtype, else a literal."""

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _scalar(value)
        if text is None:
            return None
        text = text.strip()
        return URIRef(IANA_MEDIA + text) if _MEDIA_TYPE.match(text) else plain(text)

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        if isinstance(node, BNode):  # DCAT-AP 1.x: [ a dct:IMT; rdf:value "text/csv"; rdfs:label "CSV" ]
            found = _first_str(graph, node, (RDF.value, *LABELS))
            return found.split(";", 1)[0].strip() if found else None
        text = str(node)
        for prefix in MEDIA_TYPE_PREFIXES:
            if text.startswith(prefix):
                return text[len(prefix) :]
        return text  # a literal stays as published ("; charset=..." is repaired for data.json on export)


class FormatCodec(TextCodec):
    """``format``: DCAT-AP writes an EU file-type IRI (``…/file-type/CSV``) or a labelled node."""

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        if isinstance(node, URIRef):
            return _last_segment(str(node))
        return super().from_rdf(graph, node)


class VocabularyCodec(IriCodec):
    """A controlled-vocabulary IRI read into the DCAT-US form through a table keyed by the IRI's last
    segment (lower case): EU and Dublin Core frequencies, EU languages, EU access rights."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self.table = table

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        if isinstance(node, URIRef):
            return self.table.get(_last_segment(str(node)).lower(), str(node))
        return super().from_rdf(graph, node)  # a literal stays as published (the model keeps source values)


class PeriodCodec(Codec):
    """``temporal``: ``start/end`` → dct:PeriodOfTime; anything else stays a literal."""

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _scalar(value)
        if text is None:
            return None
        parts = text.split("/")
        if len(parts) != 2 or not all(_is_dateish(p) for p in parts):
            return plain(text)
        period = bnode()
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        graph.add((period, DCAT.startDate, date_literal(parts[0])))
        graph.add((period, DCAT.endDate, date_literal(parts[1])))
        return period

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        if isinstance(node, Literal):
            return str(node)
        start = _first_str(graph, node, (DCAT.startDate, SCHEMA.startDate, SDO.startDate))
        end = _first_str(graph, node, (DCAT.endDate, SCHEMA.endDate, SDO.endDate))
        if start and end:
            return f"{start}/{end}"
        if start or end:
            return f"{start or '..'}/{end or '..'}"
        return _label(graph, node)


class LocationCodec(Codec):
    """``spatial``: an IRI stays an IRI; a string becomes a dct:Location labelled with it."""

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _scalar(value)
        if text is None:
            return None
        if is_iri(text) and text.startswith(("http://", "https://")):
            return URIRef(text)
        location = bnode()
        graph.add((location, RDF.type, DCTERMS.Location))
        graph.add((location, RDFS.label, plain(text)))
        bbox = parse_bbox(text)
        if bbox is not None:
            graph.add((location, DCAT.bbox, Literal(bbox_wkt(bbox), datatype=GSP.wktLiteral)))
        return location

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        if not isinstance(node, BNode):
            return str(node)
        geometry = _first_str(graph, node, (DCAT.bbox, LOCN.geometry, GSP.asWKT, SCHEMA.box, SDO.box))
        label = _first_str(graph, node, (RDFS.label, SKOS.prefLabel, DCTERMS.title, SCHEMA.name, SDO.name))
        if label and (geometry is None or parse_bbox(label) is not None):
            return label  # a box written as text (as Nutmeg writes it) or a named place without geometry
        envelope = geometry_bbox(geometry) if geometry else None
        if envelope is not None:
            return ",".join(f"{v:g}" for v in envelope)
        return label or geometry


class NestedCodec(Codec):
    """A JSON object ↔ a typed node described by its own table (publisher, contactPoint, distribution)."""

    def __init__(self, rdf_type: URIRef, fields: Callable[[], tuple[FieldMap, ...]]) -> None:
        self.rdf_type = rdf_type
        self._fields = fields

    @property
    def fields(self) -> tuple[FieldMap, ...]:
        return self._fields()

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        if not isinstance(value, dict):
            text = _scalar(value)
            return plain(text) if text is not None else None
        node = bnode()
        graph.add((node, RDF.type, self.rdf_type))
        json_to_graph(value, self.fields, graph, node)
        return node

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        if isinstance(node, Literal):
            return self.from_literal(str(node))
        return graph_to_json(graph, node, self.fields)

    def from_literal(self, text: str) -> JSONValue:
        return None


class OrganizationCodec(NestedCodec):
    def from_literal(self, text: str) -> JSONValue:
        return {"name": text}

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        found = super().from_rdf(graph, node)
        if isinstance(found, dict) and "name" not in found:
            label = _first_str(graph, node, (VCARD.fn, VCARD["organization-name"], RDFS.label))
            if not label:
                return None  # an organization IRI the document does not describe: nothing to show
            found["name"] = label
        return found


class SeriesCodec(NestedCodec):
    """DCAT-US 3.0 ``inSeries``: a dcat:DatasetSeries, named by its IRI when it has one."""

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        if isinstance(value, str):
            return URIRef(value) if is_iri(value) else None
        if not isinstance(value, dict):
            return None
        iri = value.get("@id")
        node: Node = URIRef(iri) if isinstance(iri, str) and is_iri(iri) else bnode()
        graph.add((node, RDF.type, self.rdf_type))
        json_to_graph(value, self.fields, graph, node)
        return node

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        if isinstance(node, Literal):
            return None
        found = graph_to_json(graph, node, self.fields)
        return {"@id": str(node), **found} if isinstance(node, URIRef) else (found or None)


class ContactCodec(NestedCodec):
    def from_literal(self, text: str) -> JSONValue:
        return {"fn": text}

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        found = super().from_rdf(graph, node)
        if isinstance(found, dict):
            if "fn" not in found:
                name = _first_str(graph, node, (VCARD["organization-name"], FOAF.name, RDFS.label))
                if name:
                    found["fn"] = name
            if "hasEmail" not in found:
                email = _first_str(graph, node, (VCARD.email, FOAF.mbox))
                if email:
                    found["hasEmail"] = email
            if "hasEmail" in found:
                found["hasEmail"] = mailto(found["hasEmail"])
        return found


class EmailCodec(Codec):
    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _scalar(value)
        if text is None:
            return None
        text = mailto(text)
        return URIRef(text) if is_iri(text) else plain(text)

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        return mailto(str(node))


@dataclass(frozen=True, slots=True)
class FieldMap:
    """One row of a table: JSON key ↔ predicate, through a codec.

    ``also`` lists predicates other profiles use for the same thing (read when ``predicate`` is absent);
    ``mirror`` lists predicates written as well, for consumers that expect them.
    """

    key: str
    predicate: URIRef
    codec: Codec
    many: bool = False
    also: tuple[URIRef, ...] = ()
    mirror: tuple[URIRef, ...] = ()


TEXT = TextCodec()
IRI = IriCodec()
DATE = DateCodec()
BOOL = BoolCodec()


def _organization_fields() -> tuple[FieldMap, ...]:
    return ORGANIZATION_FIELDS


def _contact_fields() -> tuple[FieldMap, ...]:
    return CONTACT_FIELDS


def _distribution_fields() -> tuple[FieldMap, ...]:
    return DISTRIBUTION_FIELDS


def _series_fields() -> tuple[FieldMap, ...]:
    return SERIES_FIELDS


ORGANIZATION = OrganizationCodec(FOAF.Organization, _organization_fields)
CONTACT = ContactCodec(VCARD.Kind, _contact_fields)
DISTRIBUTION = NestedCodec(DCAT.Distribution, _distribution_fields)
SERIES = SeriesCodec(DCAT3.DatasetSeries, _series_fields)


def _schema(name: str) -> tuple[URIRef, URIRef]:
    """A schema.org property in both namespaces met in the wild (http and https)."""
    return SCHEMA[name], SDO[name]


# Controlled vocabularies other profiles use, read into the DCAT-US form (keyed by the IRI's last segment).
FREQUENCIES: dict[str, str] = {
    # EU frequency authority table (DCAT-AP) and Dublin Core Collection Description frequencies
    "continuous": "R/PT1S",
    "cont": "R/PT1S",
    "updated_cont": "R/PT1S",
    "hourly": "R/PT1H",
    "daily": "R/P1D",
    "daily_2": "R/PT12H",
    "weekly": "R/P1W",
    "weekly_2": "R/P3.5D",
    "weekly_3": "R/P0.33W",
    "biweekly": "R/P2W",
    "monthly": "R/P1M",
    "monthly_2": "R/P0.5M",
    "monthly_3": "R/P0.33M",
    "semimonthly": "R/P0.5M",
    "bimonthly": "R/P2M",
    "quarterly": "R/P3M",
    "annual_2": "R/P6M",
    "semiannual": "R/P6M",
    "annual": "R/P1Y",
    "annual_3": "R/P4M",
    "biennial": "R/P2Y",
    "triennial": "R/P3Y",
    "quadrennial": "R/P4Y",
    "decennial": "R/P10Y",
    "irreg": "irregular",
    "irregular": "irregular",
}

LANGUAGES: dict[str, str] = {
    # EU language authority table (ISO 639-3 style codes) → the ISO 639-1 tags DCAT-US uses
    "eng": "en",
    "fra": "fr",
    "fre": "fr",
    "deu": "de",
    "ger": "de",
    "spa": "es",
    "ita": "it",
    "nld": "nl",
    "dut": "nl",
    "por": "pt",
    "cat": "ca",
    "pol": "pl",
    "swe": "sv",
    "dan": "da",
    "fin": "fi",
    "ell": "el",
    "gre": "el",
    "ces": "cs",
    "cze": "cs",
    "hun": "hu",
    "ron": "ro",
    "rum": "ro",
    "zho": "zh",
    "chi": "zh",
    "jpn": "ja",
    "kor": "ko",
    "rus": "ru",
    "ara": "ar",
    "vie": "vi",
}

ACCESS_RIGHTS: dict[str, str] = {
    # EU access-right authority table (DCAT-AP dct:accessRights) → DCAT-US accessLevel
    "public": "public",
    "restricted": "restricted public",
    "non_public": "non-public",
}


class AccessLevelCodec(VocabularyCodec):
    """``accessLevel``; read from a ``dct:accessRights`` statement only when it names one of the levels
    (DCAT-US 3.0 writes free text there, which is ``accessRights``, not a level)."""

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        found = super().from_rdf(graph, node)
        if isinstance(node, BNode) and not (isinstance(found, str) and found.strip().lower() in _LEVELS):
            return None
        return found


class RightsStatementCodec(Codec):
    """DCAT-US 3.0 ``accessRights`` (free text) ↔ a ``dct:RightsStatement`` labelled with it."""

    def to_rdf(self, graph: Graph, value: JSONValue) -> Node | None:
        text = _scalar(value)
        if text is None:
            return None
        statement = bnode()
        graph.add((statement, RDF.type, DCTERMS.RightsStatement))
        graph.add((statement, RDFS.label, plain(text)))
        return statement

    def from_rdf(self, graph: Graph, node: Node) -> JSONValue:
        if isinstance(node, BNode):
            return _label(graph, node)
        return None  # an access-rights IRI (EU vocabulary) is an access level, read by ``accessLevel``


_LEVELS = frozenset({"public", "restricted public", "non-public"})
FREQUENCY = VocabularyCodec(FREQUENCIES)
LANGUAGE = VocabularyCodec(LANGUAGES)
ACCESS_LEVEL = AccessLevelCodec(ACCESS_RIGHTS)

ORGANIZATION_FIELDS: tuple[FieldMap, ...] = (
    FieldMap("name", FOAF.name, TEXT, also=(SKOS.prefLabel, *_schema("name")), mirror=(SKOS.prefLabel,)),
    FieldMap("subOrganizationOf", ORG.subOrganizationOf, ORGANIZATION),
)

CONTACT_FIELDS: tuple[FieldMap, ...] = (
    FieldMap("fn", VCARD.fn, TEXT, also=_schema("name")),
    FieldMap("hasEmail", VCARD.hasEmail, EmailCodec(), also=_schema("email")),
    FieldMap("tel", VCARD.hasTelephone, TEXT, also=_schema("telephone")),
)

DISTRIBUTION_FIELDS: tuple[FieldMap, ...] = (
    FieldMap("title", DCTERMS.title, TEXT, also=_schema("name")),
    FieldMap("description", DCTERMS.description, TEXT, also=_schema("description")),
    FieldMap("downloadURL", DCAT.downloadURL, IRI, also=_schema("contentUrl")),
    FieldMap("accessURL", DCAT.accessURL, IRI, also=_schema("url")),
    FieldMap("mediaType", DCAT.mediaType, MediaTypeCodec(), also=_schema("encodingFormat")),
    FieldMap("format", DCTERMS.format, FormatCodec(), also=_schema("fileFormat")),
    FieldMap("conformsTo", DCTERMS.conformsTo, IRI),
    FieldMap("describedBy", POWDER.describedby, IRI),
    FieldMap("describedByType", POD.describedByType, TEXT),
    FieldMap("license", DCTERMS.license, IRI, also=_schema("license")),
    FieldMap("issued", DCTERMS.issued, DATE),
    FieldMap("modified", DCTERMS.modified, DATE),
)

SERIES_FIELDS: tuple[FieldMap, ...] = (
    FieldMap("title", DCTERMS.title, TEXT),
    FieldMap("description", DCTERMS.description, TEXT),
)

DATASET_FIELDS: tuple[FieldMap, ...] = (
    FieldMap("identifier", DCTERMS.identifier, TEXT, also=_schema("identifier")),
    FieldMap("title", DCTERMS.title, TEXT, also=_schema("name")),
    FieldMap("description", DCTERMS.description, TEXT, also=_schema("description")),
    FieldMap("keyword", DCAT.keyword, KeywordCodec(), many=True, also=_schema("keywords")),
    FieldMap("modified", DCTERMS.modified, DATE, also=_schema("dateModified")),
    FieldMap("publisher", DCTERMS.publisher, ORGANIZATION, also=(*_schema("publisher"), *_schema("creator"))),
    FieldMap("contactPoint", DCAT.contactPoint, CONTACT, also=_schema("contactPoint")),
    FieldMap("accessLevel", POD.accessLevel, ACCESS_LEVEL, also=(DCTERMS.accessRights,)),
    FieldMap("bureauCode", POD.bureauCode, TEXT, many=True),
    FieldMap("programCode", POD.programCode, TEXT, many=True),
    FieldMap("license", DCTERMS.license, IRI, also=_schema("license")),
    FieldMap("rights", DCTERMS.rights, TEXT),
    FieldMap("spatial", DCTERMS.spatial, LocationCodec(), also=_schema("spatialCoverage")),
    FieldMap("temporal", DCTERMS.temporal, PeriodCodec(), also=_schema("temporalCoverage")),
    FieldMap("issued", DCTERMS.issued, DATE, also=_schema("datePublished")),
    FieldMap("accrualPeriodicity", DCTERMS.accrualPeriodicity, FREQUENCY),
    FieldMap("language", DCTERMS.language, LANGUAGE, many=True, also=_schema("inLanguage")),
    FieldMap("dataQuality", POD.dataQuality, BOOL),
    FieldMap("theme", DCAT.theme, ConceptCodec(), many=True),
    FieldMap("references", DCTERMS.references, IRI, many=True),
    FieldMap("landingPage", DCAT.landingPage, IRI, also=_schema("url")),
    FieldMap("isPartOf", DCTERMS.isPartOf, IRI),
    FieldMap("systemOfRecords", POD.systemOfRecords, IRI),
    FieldMap("primaryITInvestmentUII", POD.primaryITInvestmentUII, TEXT),
    FieldMap("describedBy", POWDER.describedby, IRI),
    FieldMap("describedByType", POD.describedByType, TEXT),
    FieldMap("conformsTo", DCTERMS.conformsTo, IRI),
    FieldMap("distribution", DCAT.distribution, DISTRIBUTION, many=True, also=_schema("distribution")),
    FieldMap("accessRights", DCTERMS.accessRights, RightsStatementCodec()),
    FieldMap("version", DCAT3.version, TEXT, also=_schema("version")),
    FieldMap("created", DCTERMS.created, DATE, also=_schema("dateCreated")),
    FieldMap("inSeries", DCAT3.inSeries, SERIES, many=True),
)

KNOWN_DATASET_KEYS = frozenset(f.key for f in DATASET_FIELDS) | {"@type"}
KNOWN_DISTRIBUTION_KEYS = frozenset(f.key for f in DISTRIBUTION_FIELDS) | {"@type"}


def json_to_graph(obj: Mapping[str, JSONValue], fields: Iterable[FieldMap], graph: Graph, subject: Node) -> None:
    """Add ``obj``'s mapped fields to ``graph`` as properties of ``subject``.

    Values of the wrong shape (an object where a string belongs, say) are left out here; the schema
    check that runs beside this reports them, so nothing is dropped silently.
    """
    for field in fields:
        value = obj.get(field.key)
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        for item in items:
            node = field.codec.to_rdf(graph, item)
            if node is None:
                continue
            graph.add((subject, field.predicate, node))
            for predicate in field.mirror:
                graph.add((subject, predicate, node))


def graph_to_json(graph: Graph, subject: Node, fields: Iterable[FieldMap]) -> dict[str, JSONValue]:
    """Read ``subject``'s properties back into a DCAT-US JSON object."""
    properties: dict[Node, list[Node]] = {}
    for predicate, obj in graph.predicate_objects(subject):
        properties.setdefault(predicate, []).append(obj)
    out: dict[str, JSONValue] = {}
    for field in fields:
        nodes = _objects(properties, field)
        if not nodes:
            continue
        if field.many:
            values = _flat(field.codec.from_rdf(graph, n) for n in nodes)
            if values:
                out[field.key] = _dedupe(values)
            continue
        node = best_literal(nodes)
        value = field.codec.from_rdf(graph, node) if node is not None else None
        if value is not None:
            out[field.key] = value
    return out


def _objects(properties: Mapping[Node, list[Node]], field: FieldMap) -> list[Node]:
    nodes = properties.get(field.predicate)
    if nodes:
        return nodes
    for predicate in field.also:
        nodes = properties.get(predicate)
        if nodes:
            return nodes
    return []


def _flat(found: Iterable[JSONValue]) -> list[JSONValue]:
    out: list[JSONValue] = []
    for value in found:
        if isinstance(value, list):
            out.extend(v for v in value if v is not None)
        elif value is not None:
            out.append(value)
    return out


def _dedupe(values: list[JSONValue]) -> list[JSONValue]:
    seen: list[JSONValue] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


LABELS: tuple[URIRef, ...] = (SKOS.prefLabel, RDFS.label, DCTERMS.title, FOAF.name, SCHEMA.name, SDO.name)
MEDIA_TYPE_PREFIXES = (IANA_MEDIA, "http://www.iana.org/assignments/media-types/")


def _label(graph: Graph, node: Node) -> str | None:
    return _first_str(graph, node, LABELS)


def _last_segment(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/#"))[-1]


def _first_str(graph: Graph, node: Node, predicates: Iterable[URIRef]) -> str | None:
    for predicate in predicates:
        found = best_literal(graph.objects(node, predicate))
        if found is not None:
            return str(found)
    return None


def _is_dateish(text: str) -> bool:
    return bool(re.match(r"^[+-]?\d{4}(-\d{2}(-\d{2})?)?([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$", text))


def mailto(text: str) -> str:
    """Normalise an email to the ``mailto:`` form DCAT-US uses."""
    text = text.strip()
    if text.lower().startswith("mailto:"):
        return "mailto:" + text[7:]
    return f"mailto:{text}" if "@" in text else text


def parse_bbox(text: str) -> tuple[float, float, float, float] | None:
    """``"west,south,east,north"`` → floats, when it is a plausible longitude/latitude box."""
    match = _BBOX.match(text)
    if not match:
        return None
    west, south, east, north = (float(g) for g in match.groups())
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        return None
    return west, south, east, north


def bbox_wkt(bbox: tuple[float, float, float, float]) -> str:
    west, south, east, north = bbox
    ring = f"{west} {south}, {east} {south}, {east} {north}, {west} {north}, {west} {south}"
    return f"POLYGON(({ring}))"


def table_markdown() -> str:
    """The correspondence as a Markdown table (``docs/mapping.md`` embeds it; a test keeps them equal)."""
    lines = ["| DCAT-US field | predicate | also read from | value |", "|---|---|---|---|"]
    for prefix, fields in (
        ("", DATASET_FIELDS),
        ("distribution[].", DISTRIBUTION_FIELDS),
        ("publisher.", ORGANIZATION_FIELDS),
        ("contactPoint.", CONTACT_FIELDS),
    ):
        for field in fields:
            also = ", ".join(_curie(p) for p in field.also) or ""
            kind = type(field.codec).__name__.removesuffix("Codec").lower()
            many = " (many)" if field.many else ""
            lines.append(f"| `{prefix}{field.key}` | `{_curie(field.predicate)}` | {also} | {kind}{many} |")
    return "\n".join(lines) + "\n"


def _curie(iri: URIRef) -> str:
    from mappings.vocab import BINDINGS

    for prefix, namespace in BINDINGS.items():
        if str(iri).startswith(str(namespace)):
            return f"{prefix}:{str(iri)[len(str(namespace)) :]}"
    return str(iri)


_COORDINATE = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def geometry_bbox(text: str) -> tuple[float, float, float, float] | None:
    """The envelope of a WKT or GeoJSON geometry (longitude/latitude pairs), or a ``w,s,e,n`` box.

    schema.org ``box`` is ``"south west north east"``; it is read as such when the text has exactly four
    numbers separated by spaces and no geometry keyword.
    """
    stripped = text.strip()
    box = parse_bbox(stripped)
    if box is not None:
        return box
    numbers = [float(n) for n in _COORDINATE.findall(stripped)]
    if len(numbers) == 4 and not re.search(r"[A-Za-z{]", stripped):
        south, west, north, east = numbers
        return _valid_box(west, south, east, north)
    if len(numbers) < 4 or len(numbers) % 2 or not re.search(r"(?i)polygon|point|linestring|coordinates", stripped):
        return None
    if "crs84" not in stripped.lower() and stripped.startswith("<"):
        return None  # a WKT literal with an explicit CRS IRI: axis order unknown
    xs, ys = numbers[0::2], numbers[1::2]
    return _valid_box(min(xs), min(ys), max(xs), max(ys))


def _valid_box(west: float, south: float, east: float, north: float) -> tuple[float, float, float, float] | None:
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        return None
    return west, south, east, north
