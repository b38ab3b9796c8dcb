"""How open one dataset is, as the U.S. State Open Data Census judges it: machine-readable, openly
licensed, downloadable in bulk and up to date. Each criterion is a plain function of the model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from mappings.derive import format_label, parse_modified
from mappings.licenses import is_open
from mappings.model import Dataset

# Formats a program can read without a person (format labels of mappings/derive.py); PDF, DOC, HTML,
# images and ZIP (contents unknown) are not.
MACHINE_READABLE: frozenset[str] = frozenset(
    {
        "API", "Atom", "CSV", "Esri REST", "GTFS", "GeoJSON", "GeoPackage", "JSON", "JSON-LD", "KML", "KMZ",
        "NetCDF", "Parquet", "RDF", "RSS", "SHP", "SQL", "TSV", "WFS", "XLS", "XLSX", "XML",
    }
)  # fmt: skip
CRITERIA: tuple[str, ...] = ("machine_readable", "open_license", "bulk_download", "up_to_date")


@dataclass(frozen=True, slots=True)
class Openness:
    machine_readable: bool
    open_license: bool
    bulk_download: bool
    up_to_date: bool

    @property
    def passed(self) -> int:
        return sum(getattr(self, name) for name in CRITERIA)


def machine_readable(dataset: Dataset) -> bool:
    """A distribution in a machine-readable format."""
    return any(format_label(d) in MACHINE_READABLE for d in dataset.distribution)


def open_license(dataset: Dataset) -> bool:
    """An open licence on the dataset (or, DCAT-US 3.0, on every distribution)."""
    if is_open(dataset.license):
        return True
    return bool(dataset.distribution) and all(is_open(d.license) for d in dataset.distribution)


def bulk_download(dataset: Dataset) -> bool:
    """The whole dataset can be downloaded: a distribution with a download URL in a machine-readable format."""
    return any(d.download_url and format_label(d) in MACHINE_READABLE for d in dataset.distribution)


def up_to_date(dataset: Dataset, now: datetime, max_age: timedelta) -> bool:
    """Modified (else issued) no longer than ``max_age`` ago."""
    modified = parse_modified(dataset.modified) or parse_modified(dataset.issued)
    return modified is not None and now - modified <= max_age


def openness(dataset: Dataset, now: datetime, max_age: timedelta) -> Openness:
    return Openness(
        machine_readable(dataset), open_license(dataset), bulk_download(dataset), up_to_date(dataset, now, max_age)
    )
