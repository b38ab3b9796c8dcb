"""Jinja2 templates for the server-rendered pages (autoescaped; built once per app).

The filters and globals the templates use are registered here, so every page formats dates, counts and
links the same way.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from catalog_api.web import formatting, judged_view, links, text
from catalog_api.web.dataset_view import email_href, safe_url
from catalog_api.web.health import status_tone, status_words
from catalog_api.web.provenance import shown as shown_value
from harvesters.credentials import redact_url
from mappings.licenses import license_id, license_link, license_name

FILTERS: dict[str, Any] = {
    "day": formatting.day,
    "moment": formatting.moment,
    "iso": formatting.iso,
    "ago": formatting.ago,
    "number": formatting.number,
    "plural": formatting.plural,
    "elapsed": formatting.elapsed,
    "interval_words": formatting.interval_words,
    "periodicity": formatting.periodicity,
    "temporal": formatting.temporal,
    "description_html": text.description_html,
    "summary": text.summary,
    "safe_url": safe_url,
    "redact_url": redact_url,
    "email_href": email_href,
    "license_id": license_id,
    "license_name": license_name,
    "license_link": license_link,
}
GLOBALS: dict[str, Any] = {
    "dataset_path": links.dataset_path,
    "organization_path": links.organization_path,
    "source_path": links.source_path,
    "search_path": links.search_path,
    "status_tone": status_tone,
    "status_words": status_words,
    "shown": shown_value,
    **judged_view.GLOBALS,
}


def make_templates() -> Jinja2Templates:
    folder = Path(str(resources.files("catalog_api") / "templates"))
    env = Environment(loader=FileSystemLoader(folder), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(FILTERS)
    env.globals.update(GLOBALS)
    return Jinja2Templates(env=env)


def templates(request: Request) -> Jinja2Templates:
    found: Jinja2Templates = request.app.state.templates
    return found
