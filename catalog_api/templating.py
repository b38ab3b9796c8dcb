"""Jinja2 templates for the server-rendered pages (autoescaped; built once per app)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates


def make_templates() -> Jinja2Templates:
    folder = Path(str(resources.files("catalog_api") / "templates"))
    return Jinja2Templates(directory=str(folder))


def templates(request: Request) -> Jinja2Templates:
    found: Jinja2Templates = request.app.state.templates
    return found
