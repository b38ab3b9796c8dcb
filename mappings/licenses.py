"""Licences by name: one table of the licences open-data catalogs use, recognized from a URL or from text.

Sources write the same licence many ways — ``https://creativecommons.org/publicdomain/zero/1.0/``, its
``/legalcode``, ``CC0_10`` (Socrata), ``cc-zero`` (dcat-ap.de), ``Creative Commons 1.0 Universal`` plus a
department's name and URL (Socrata 2013), ``Public Domain (http://www.sfgov.org)`` — and the catalog shows
each by one name with one link, and groups the License facet by its id (SPDX's where SPDX has one). What a
source wrote stays in the record as published; an unknown licence is shown as written.

Recognition, in order: the whole value as a URL; any URL inside it; its first line (without a trailing
``(http://...)``) as a name; the whole text as a name. URLs compare without scheme, ``www.``, trailing
slash, ``/legalcode`` or ``/deed.xx``; names compare lower-cased with punctuation as spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from mappings.richtext import looks_like_html, plain_text


@dataclass(frozen=True, slots=True)
class License:
    id: str  # the facet value: an SPDX identifier where one exists
    name: str  # what a person reads
    url: str | None  # the canonical page to link to
    urls: tuple[str, ...] = field(default=(), repr=False)  # URL keys (see _url_key) that name it
    names: tuple[str, ...] = field(default=(), repr=False)  # other ways sources write it (see _name_key)


def _cc(kind: str, version: str, title: str, port: str) -> License:
    """A Creative Commons licence: ``by-nc``, ``4.0``, ``Attribution-NonCommercial``, ``International``."""
    spdx = f"CC-{kind.upper()}-{version}"
    eu = f"cc_{kind.replace('-', '')}_{version.replace('.', '_')}"  # the EU vocabulary's CC_BYNC_4_0
    words = title.replace("-", " ")
    return License(
        spdx,
        f"Creative Commons {title} {version} {port}",
        f"https://creativecommons.org/licenses/{kind}/{version}/",
        urls=(
            f"creativecommons.org/licenses/{kind}/{version}",
            f"publications.europa.eu/resource/authority/licence/{eu}",
            f"resources.data.gov/vocab/license/todo/{eu}",
        ),
        names=(
            spdx,
            f"cc {kind} {version}",
            f"creative commons {words} {version}",
            f"creative commons {words} {version} {port}",
            f"creative commons {words} {version} license",
        ),
    )


_CC_KINDS = {
    "by": "Attribution",
    "by-sa": "Attribution-ShareAlike",
    "by-nc": "Attribution-NonCommercial",
    "by-nd": "Attribution-NoDerivatives",
    "by-nc-sa": "Attribution-NonCommercial-ShareAlike",
    "by-nc-nd": "Attribution-NonCommercial-NoDerivatives",
}
_CC_VERSIONS = {"4.0": "International", "3.0": "Unported", "2.5": "Generic", "2.0": "Generic"}

LICENSES: tuple[License, ...] = (
    License(
        "CC0-1.0",
        "Creative Commons Zero 1.0 Universal (CC0)",
        "https://creativecommons.org/publicdomain/zero/1.0/",
        urls=(
            "creativecommons.org/publicdomain/zero/1.0",
            "dcat-ap.de/def/licenses/cc-zero",
            "publications.europa.eu/resource/authority/licence/cc0",
            "opendefinition.org/licenses/cc-zero",
            "resources.data.gov/vocab/license/todo/cc0_1_0",
        ),
        names=(
            "cc0",
            "cc0 1.0",
            "cc0 10",
            "cc zero",
            "creative commons zero",
            "creative commons 1.0 universal",
            "creative commons cc0",
            "creative commons cc0 1.0 universal",
            "cc0 1.0 universal",
            "public domain dedication cc0",
        ),
    ),
    *(_cc(kind, version, title, port) for kind, title in _CC_KINDS.items() for version, port in _CC_VERSIONS.items()),
    License(
        "CC-BY",
        "Creative Commons Attribution",
        "https://opendefinition.org/licenses/cc-by/",
        urls=("opendefinition.org/licenses/cc-by",),
        names=("cc by", "creative commons attribution"),
    ),
    License(
        "CC-BY-SA",
        "Creative Commons Attribution Share-Alike",
        "https://opendefinition.org/licenses/cc-by-sa/",
        urls=("opendefinition.org/licenses/cc-by-sa",),
        names=("cc by sa", "creative commons attribution share alike"),
    ),
    License(
        "CC-BY-NC",
        "Creative Commons Non-Commercial",
        "https://creativecommons.org/licenses/by-nc/4.0/",
        urls=("opendefinition.org/licenses/cc-nc",),
        names=("cc nc", "cc by nc", "creative commons non commercial", "creative commons non commercial any"),
    ),
    License(
        "ODbL-1.0",
        "Open Data Commons Open Database License 1.0 (ODbL)",
        "https://opendatacommons.org/licenses/odbl/1-0/",
        urls=("opendatacommons.org/licenses/odbl", "opendefinition.org/licenses/odc-odbl"),
        names=("odbl", "odbl 1.0", "odc odbl", "open database license", "open data commons open database license"),
    ),
    License(
        "ODC-By-1.0",
        "Open Data Commons Attribution License 1.0 (ODC-By)",
        "https://opendatacommons.org/licenses/by/1-0/",
        urls=("opendatacommons.org/licenses/by", "opendefinition.org/licenses/odc-by"),
        names=("odc by", "odc by 1.0", "open data commons attribution license"),
    ),
    License(
        "PDDL-1.0",
        "Open Data Commons Public Domain Dedication and License 1.0 (PDDL)",
        "https://opendatacommons.org/licenses/pddl/1-0/",
        urls=("opendatacommons.org/licenses/pddl", "opendefinition.org/licenses/odc-pddl"),
        names=("pddl", "odc pddl", "open data commons public domain dedication and license"),
    ),
    License(
        "Public Domain Mark",
        "Public Domain Mark 1.0",
        "https://creativecommons.org/publicdomain/mark/1.0/",
        urls=("creativecommons.org/publicdomain/mark/1.0",),
        names=("public domain mark", "pdm", "public domain mark 1.0"),
    ),
    License(
        "US Government Work",
        "U.S. Government Work (public domain in the United States)",
        "https://www.usa.gov/government-works",
        urls=("usa.gov/government-works", "usa.gov/publicdomain/label", "resources.data.gov/vocab/license/todo/us_pd"),
        names=(
            "us government work",
            "u s government work",
            "us pd",
            "us public domain",
            "united states government work",
        ),
    ),
    License(
        "Public Domain",
        "Public Domain",
        None,
        urls=("opendefinition.org/licenses/other-pd",),
        names=("public domain", "publicdomain", "pd", "other pd", "other public domain", "public"),
    ),
    License(
        "OGL-UK-3.0",
        "Open Government Licence v3.0 (UK)",
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        urls=("nationalarchives.gov.uk/doc/open-government-licence/version/3",),
        names=("ogl uk 3.0", "open government licence v3.0", "open government licence 3.0", "ogl 3.0"),
    ),
    License(
        "OGL-UK-2.0",
        "Open Government Licence v2.0 (UK)",
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/2/",
        urls=("nationalarchives.gov.uk/doc/open-government-licence/version/2",),
        names=("ogl uk 2.0", "open government licence v2.0", "open government licence 2.0"),
    ),
    License(
        "OGL-UK",
        "Open Government Licence (UK)",
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/",
        urls=("nationalarchives.gov.uk/doc/open-government-licence", "opendefinition.org/licenses/ogl-uk"),
        names=("ogl", "ogl uk", "uk ogl", "open government licence", "open government license"),
    ),
    License(
        "etalab-2.0",
        "Licence Ouverte 2.0 (Etalab)",
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        urls=(
            "etalab.gouv.fr/licence-ouverte-open-licence",
            "publications.europa.eu/resource/authority/licence/lo_2_0",
        ),
        names=("licence ouverte version 2.0", "licence ouverte 2.0", "open licence 2.0", "etalab 2.0"),
    ),
    License(
        "Licence-Ouverte-1.0",
        "Licence Ouverte 1.0 (Etalab)",
        "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf",
        urls=("publications.europa.eu/resource/authority/licence/lo_1_0",),
        names=("licence ouverte version 1.0", "licence ouverte 1.0", "licence ouverte"),
    ),
    License(
        "EU-COM-REUSE",
        "European Commission reuse notice (Decision 2011/833/EU)",
        "https://eur-lex.europa.eu/eli/dec/2011/833/oj",
        urls=("publications.europa.eu/resource/authority/licence/com_reuse",),
        names=("commission decision 2011 833 eu",),
    ),
    License(
        "INSPIRE-noConditionsApply",
        "No conditions apply (INSPIRE)",
        "http://inspire.ec.europa.eu/metadata-codelist/ConditionsApplyingToAccessAndUse/noConditionsApply",
        urls=("inspire.ec.europa.eu/metadata-codelist/conditionsapplyingtoaccessanduse/noconditionsapply",),
        names=("no conditions apply", "no conditions apply to access and use"),
    ),
    License(
        "other-open",
        "Other (Open)",
        "https://opendefinition.org/licenses/",
        urls=("opendefinition.org/licenses/other-open",),
        names=("other open",),
    ),
    License(
        "Unknown",
        "License not specified",
        None,
        urls=("project-open-data.cio.gov/unknown-license",),
        names=("notspecified", "not specified", "license not specified", "unknown", "unknown license"),
    ),
    License("MIT", "MIT License", "https://opensource.org/licenses/MIT", urls=("opensource.org/licenses/mit",)),
    License(
        "GPL-3.0",
        "GNU General Public License v3.0",
        "https://www.gnu.org/licenses/gpl-3.0.html",
        urls=("gnu.org/licenses/gpl-3.0",),
    ),
    License(
        "Apache-2.0",
        "Apache License 2.0",
        "https://www.apache.org/licenses/LICENSE-2.0",
        urls=("apache.org/licenses/license-2.0",),
        names=("apache 2.0", "apache license 2.0"),
    ),
)

_URL_IN_TEXT = re.compile(r"https?://[^\s()<>\"']+", re.IGNORECASE)
_URL_TAIL = re.compile(r"/(?:legalcode(?:\.[a-z-]+)?|deed(?:\.[a-z-]+)?|index\.html?|rdf)$")
_WORDS = re.compile(r"[^a-z0-9.]+")


def _url_key(url: str) -> str:
    key = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip().lower())
    key = key.removeprefix("www.").split("#", 1)[0].split("?", 1)[0].rstrip("/.)")
    return _URL_TAIL.sub("", key).rstrip("/")


def _name_key(text: str) -> str:
    return " ".join(_WORDS.sub(" ", text.lower().replace("_", " ")).replace(" . ", " ").split()).strip(". ")


@cache
def _tables() -> tuple[tuple[tuple[str, License], ...], dict[str, License]]:
    by_url = tuple(sorted(((u, lic) for lic in LICENSES for u in lic.urls), key=lambda item: -len(item[0])))
    by_name: dict[str, License] = {}
    for lic in LICENSES:
        for alias in (lic.id, lic.name, *lic.names):
            by_name.setdefault(_name_key(alias), lic)
    return by_url, by_name


def by_url(url: str) -> License | None:
    """The licence a URL names (any spelling of it), or None."""
    return _by_url(url)


def _by_url(url: str) -> License | None:
    key = _url_key(url)
    for prefix, lic in _tables()[0]:
        if key == prefix or key.startswith(prefix + "/"):
            return lic
    return None


def _by_name(text: str) -> License | None:
    return _tables()[1].get(_name_key(text))


def recognize(value: str | None) -> License | None:
    """The licence ``value`` names (a URL, a name, or a name with notes), or None when unknown."""
    if not value or not value.strip():
        return None
    return _recognize(value.strip()[:2000])


@lru_cache(maxsize=4096)
def _recognize(text: str) -> License | None:
    """(A catalog names a handful of licences over and over: each spelling is looked up once.)"""
    if _URL_IN_TEXT.fullmatch(text):
        return _by_url(text)
    for url in _URL_IN_TEXT.findall(text):
        found = _by_url(url)
        if found:
            return found
    first_line = text.splitlines()[0]
    head = _URL_IN_TEXT.sub("", first_line).split("(", 1)[0]
    return _by_name(head) or _by_name(_URL_IN_TEXT.sub("", text))


def license_id(value: str | None) -> str | None:
    """The facet value: the recognized licence's id, else the value as published (one line, trimmed)."""
    if not value or not value.strip():
        return None
    found = recognize(value)
    return found.id if found else as_published(value)


def license_name(value: str | None) -> str | None:
    """What a person reads: the recognized licence's name (also for a facet id), else the value as published."""
    if not value or not value.strip():
        return None
    found = recognize(value) or by_id(value)
    return found.name if found else as_published(value)


def license_link(value: str | None) -> str | None:
    """Where to read the licence: the source's own URL when it gave one, else the recognized licence's page."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if _URL_IN_TEXT.fullmatch(text):
        return text
    found = recognize(text)
    return found.url if found else None


def as_published(value: str) -> str:
    """An unknown licence as one line of text (terms of use pasted as HTML become their words)."""
    return " ".join(plain_text(value).split() if looks_like_html(value) else value.split())[:200]


def by_id(identifier: str) -> License | None:
    return next((lic for lic in LICENSES if lic.id == identifier), None)


_NOT_OPEN = re.compile(r"-(NC|ND)(-|$)")  # non-commercial or no-derivatives: not open (Open Definition 2.1)


def is_open(value: str | None) -> bool:
    """Whether a licence value names a licence the Open Definition counts as open: any licence in the
    table but the non-commercial and no-derivatives ones and ``Unknown`` (terms not given). A value of
    several lines whose whole is not recognized is judged by its first line (Socrata's 2013 data.json
    writes the licence, a newline, then the attribution)."""
    found = recognize(value)
    if found is None and value and "\n" in value.strip():  # Socrata: "Public Domain\n<attribution>"
        found = recognize(value.strip().splitlines()[0])
    return found is not None and found.id != "Unknown" and not _NOT_OPEN.search(found.id)
