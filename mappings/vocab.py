"""RDF vocabularies that rdflib does not ship as closed namespaces.

rdflib already provides DCAT, DCTERMS, FOAF, SKOS, PROV, RDF, RDFS, XSD; the others used by DCAT-US and
DCAT-AP are defined here, once.
"""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
ORG = Namespace("http://www.w3.org/ns/org#")
POD = Namespace("https://project-open-data.cio.gov/v1.1/schema#")
POWDER = Namespace("http://www.w3.org/2007/05/powder#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SCHEMA = Namespace("http://schema.org/")
SDO = Namespace("https://schema.org/")
NUTMEG = Namespace("https://nutmeg.dev/ns#")
DCAT3 = Namespace(str(DCAT))  # DCAT 3 terms rdflib's closed DCAT namespace lacks (dcat:version, dcat:inSeries)
IANA_MEDIA = "https://www.iana.org/assignments/media-types/"

BINDINGS: dict[str, Namespace] = {
    "dcat": Namespace(str(DCAT)),
    "dct": Namespace(str(DCTERMS)),
    "foaf": Namespace(str(FOAF)),
    "skos": Namespace(str(SKOS)),
    "prov": Namespace(str(PROV)),
    "vcard": VCARD,
    "adms": ADMS,
    "locn": LOCN,
    "org": ORG,
    "pod": POD,
    "powder": POWDER,
    "gsp": GSP,
    "hydra": HYDRA,
    "xsd": Namespace(str(XSD)),
    "rdfs": Namespace(str(RDFS)),
}

__all__ = [
    "ADMS",
    "BINDINGS",
    "DCAT",
    "DCAT3",
    "DCTERMS",
    "FOAF",
    "GSP",
    "HYDRA",
    "IANA_MEDIA",
    "LOCN",
    "NUTMEG",
    "ORG",
    "POD",
    "POWDER",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SDO",
    "SKOS",
    "VCARD",
    "XSD",
]
