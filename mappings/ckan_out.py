"""The model → CKAN's package dictionary (what ``package_show`` returns), for the CKAN-compatible API.

Publishers become organizations, themes groups, keywords tags and distributions resources; the DCAT-US
fields CKAN has no core field for become ``extras`` under their DCAT-US names (lists comma-joined), as
ckanext-datajson does. Names and ids are stable: a package's name is its page slug (``title-id``), an
organization's name the slug of its publisher, its id a UUID derived from the publisher's name.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mappings.derive import LICENSES, facet_value, format_label, license_label, unique_keywords
from mappings.model import Dataset, Distribution
from mappings.rdfterms import is_iri

# ``license_label`` values CKAN clients would call open (CKAN's ``isopen``).
OPEN_LICENSES = frozenset(
    {
        "CC0-1.0",
        "CC-BY-4.0",
        "CC-BY-3.0",
        "CC-BY-SA-4.0",
        "CC-BY-SA-3.0",
        "ODbL-1.0",
        "ODC-By-1.0",
        "PDDL-1.0",
        "Public Domain Mark",
        "US Government Work",
        "MIT",
        "Apache-2.0",
        "GPL-3.0",
        "OGL-UK",
    }
)

# DCAT-US fields without a CKAN core field → extras (key = the DCAT-US name).
EXTRAS: tuple[str, ...] = (
    "identifier",
    "modified",
    "issued",
    "accessLevel",
    "bureauCode",
    "programCode",
    "spatial",
    "temporal",
    "accrualPeriodicity",
    "language",
    "theme",
    "rights",
    "dataQuality",
    "conformsTo",
    "describedBy",
    "describedByType",
    "isPartOf",
    "references",
    "systemOfRecords",
    "primaryITInvestmentUII",
)


def resource_id(record_id: str, position: int, url: str) -> str:
    """A resource's id: a UUID whose first 80 bits are its dataset's id (base32-decoded), so
    ``resource_show`` finds the dataset from the id alone; the rest hashes its position and URL."""
    head = base64.b32decode(record_id.upper()).hex()
    tail = hashlib.blake2b(f"{position}:{url}".encode(), digest_size=6).hexdigest()
    return str(uuid.UUID(head + tail))


def record_of_resource(resource: str) -> str | None:
    """The dataset id inside a resource id (None: not one of this catalog's resource ids)."""
    try:
        head = uuid.UUID(resource).hex[:20]
    except ValueError:
        return None
    return base64.b32encode(bytes.fromhex(head)).decode("ascii").lower()


def license_dict(label: str) -> dict[str, Any]:
    """A licence (as packages' ``license_id`` name it) in the form of CKAN 2.10's ``license_list`` (the keys of
    its ``DefaultLicense``): a well-known licence with its URL, any other with its own URL, or generic."""
    known = {name: f"https://{prefix}/" for prefix, name in LICENSES.items()}
    url = known.get(label) or (label if is_iri(label) else "")
    is_open = label in OPEN_LICENSES
    return {
        "id": label,
        "title": label,
        "url": url,
        "status": "active",
        "maintainer": "",
        "family": "",
        "is_generic": not url,
        "od_conformance": "approved" if is_open else "not reviewed",
        "osd_conformance": "not reviewed",
        "domain_content": False,
        "domain_data": is_open,
        "domain_software": False,
    }


def _uuid(kind: str, key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"nutmeg:{kind}:{key}"))


def ckan_time(moment: datetime) -> str:
    """CKAN's timestamp form: naive UTC ISO 8601 with microseconds."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class Group:
    """An organization (from a publisher) or a group (from a theme): CKAN name, title and id."""

    name: str
    title: str
    id: str

    def brief(self, *, organization: bool) -> dict[str, Any]:
        """As embedded in a package (CKAN's short organization/group dict)."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "display_name": self.title,
            "description": "",
            "image_url": "",
            "image_display_url": "",
        }
        if organization:
            out.update({"is_organization": True, "type": "organization", "state": "active"})
            out["approval_status"] = "approved"
        return out


class Names:
    """CKAN names for publishers and themes: the slug of the title, unless two titles share a slug, in
    which case each gets a short hash of its title too (so names stay unique and stable)."""

    def __init__(self, kind: str, titles: Iterable[str], slugify: Callable[[str], str]) -> None:
        self.kind = kind
        self._slugify = slugify
        titles = sorted({facet_value(t) for t in titles if t and t.strip()})
        slugs: dict[str, list[str]] = {}
        for title in titles:
            slugs.setdefault(slugify(title), []).append(title)
        self.by_title: dict[str, Group] = {}
        for slug, same in slugs.items():
            for title in same:
                name = (
                    slug if len(same) == 1 else f"{slug}-{hashlib.blake2b(title.encode(), digest_size=3).hexdigest()}"
                )
                self.by_title[title] = Group(name, title, _uuid(kind, title))
        self.by_name = {g.name: g for g in self.by_title.values()}
        self.by_id = {g.id: g for g in self.by_title.values()}

    def of(self, title: str) -> Group:
        value = facet_value(title)
        found = self.by_title.get(value)
        return found if found is not None else Group(self._slugify(value), value, _uuid(self.kind, value))

    def find(self, name_or_id: str) -> Group | None:
        return self.by_name.get(name_or_id) or self.by_id.get(name_or_id)


@dataclass(frozen=True, slots=True)
class PackageContext:
    """What the catalog knows about a record beyond its metadata."""

    id: str
    name: str
    page_url: str
    metadata_created: datetime
    metadata_modified: datetime


def package(
    dataset: Dataset, ctx: PackageContext, organizations: Names, groups: Names, organization: str | None = None
) -> dict[str, Any]:
    """The CKAN package dictionary of ``dataset``; its organization is ``organization`` (the title of the
    registered organization that owns it) when given, else its publisher."""
    publisher = dataset.publisher.name if dataset.publisher and dataset.publisher.name else None
    owner = organization or publisher
    org = organizations.of(owner) if owner else None
    contact = dataset.contact_point
    label = license_label(dataset.license)
    tags = unique_keywords(dataset.keyword)
    resources = [_resource(d, n, ctx) for n, d in enumerate(dataset.distribution) if d.download_url or d.access_url]
    return {
        "id": ctx.id,
        "name": ctx.name,
        "title": dataset.title,
        "notes": dataset.description or "",
        "url": dataset.landing_page or ctx.page_url,
        "version": None,
        "state": "active",
        "private": False,
        "type": "dataset",
        "license_id": label,
        "license_title": label,
        "license_url": dataset.license if dataset.license and is_iri(dataset.license.strip()) else None,
        "isopen": label in OPEN_LICENSES,
        "author": dataset.publisher.name if dataset.publisher else None,
        "author_email": None,
        "maintainer": contact.fn if contact else None,
        "maintainer_email": contact.has_email.removeprefix("mailto:") if contact and contact.has_email else None,
        "metadata_created": ckan_time(ctx.metadata_created),
        "metadata_modified": ckan_time(ctx.metadata_modified),
        "creator_user_id": None,
        "organization": org.brief(organization=True) if org else None,
        "owner_org": org.id if org else None,
        "groups": [groups.of(t).brief(organization=False) for t in dict.fromkeys(dataset.theme) if t.strip()],
        "tags": [_tag(t) for t in tags],
        "num_tags": len(tags),
        "resources": resources,
        "num_resources": len(resources),
        "extras": _extras(dataset),
        "relationships_as_subject": [],
        "relationships_as_object": [],
    }


def _tag(name: str) -> dict[str, Any]:
    return {"id": _uuid("tag", name), "name": name, "display_name": name, "state": "active", "vocabulary_id": None}


def tag_dict(name: str) -> dict[str, Any]:
    return _tag(name)


def _resource(dist: Distribution, position: int, ctx: PackageContext) -> dict[str, Any]:
    url = dist.download_url or dist.access_url or ""
    return {
        "id": resource_id(ctx.id, position, url),
        "package_id": ctx.id,
        "name": dist.title or format_label(dist) or url,
        "description": dist.description or "",
        "url": url,
        "format": format_label(dist) or "",
        "mimetype": dist.media_type,
        "mimetype_inner": None,
        "position": position,
        "state": "active",
        "url_type": None,
        "resource_type": "file" if dist.download_url else "api",
        "created": ckan_time(ctx.metadata_created),
        "last_modified": None,
        "size": None,
        "hash": "",
        "datastore_active": False,
        "cache_url": None,
        "cache_last_updated": None,
    }


def _extras(dataset: Dataset) -> list[dict[str, str]]:
    body: Mapping[str, Any] = dataset.model_dump(by_alias=True, exclude_none=True)
    out: list[dict[str, str]] = []
    for key in EXTRAS:
        value = body.get(key)
        if value in (None, [], ""):
            continue
        text = (
            ",".join(map(str, value))
            if isinstance(value, list)
            else str(value).lower()
            if isinstance(value, bool)
            else str(value)
        )
        out.append({"key": key, "value": text})
    if dataset.publisher and dataset.publisher.sub_organization_of:
        out.append({"key": "publisher_parent", "value": dataset.publisher.sub_organization_of.name})
    return out
