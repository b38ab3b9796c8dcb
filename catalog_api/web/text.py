"""Untrusted descriptions on pages: Markdown rendered and source HTML sanitized (``mappings/richtext.py``),
plain text for summaries and meta descriptions."""

from __future__ import annotations

from markupsafe import Markup

from mappings.richtext import plain_text, render_html, summary

__all__ = ["description_html", "plain_text", "summary"]


def description_html(value: str | None) -> Markup:
    """A description as safe HTML: rendered, sanitized to a small allow-list, bare URLs linked."""
    return Markup(render_html(value))  # sanitized by nh3 in render_html
