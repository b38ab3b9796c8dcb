"""Content negotiation for dataset and catalog URLs: an extension wins, else the Accept header."""

from __future__ import annotations

from mappings.rdf_out import FORMATS

MEDIA_TYPES: dict[str, str] = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/json": "json",
    **{media: name for name, (_, media) in FORMATS.items()},
    "application/x-turtle": "ttl",
    "application/json-ld": "jsonld",
    "application/xml": "rdf",
    "text/plain": "nt",
}


def split_extension(segment: str) -> tuple[str, str | None]:
    """``crime-stats-abc.ttl`` → (``crime-stats-abc``, ``ttl``) for the known extensions."""
    stem, dot, ext = segment.rpartition(".")
    if dot and ext in (*FORMATS, "json", "html"):
        return stem, ext
    return segment, None


def choose(accept: str | None, default: str = "html") -> str | None:
    """The best format for an Accept header; None when nothing offered is acceptable (406)."""
    if not accept:
        return default
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(accept.split(",")):
        media, _, params = part.strip().partition(";")
        quality = _quality(params)
        if quality <= 0:
            continue
        name = _match(media.strip().lower(), default)
        if name is not None and (best is None or (quality, -position) > (best[0], best[1])):
            best = (quality, -position, name)
    return best[2] if best else None


def _match(media: str, default: str) -> str | None:
    if media in ("*/*", "text/*") or not media:
        return default if media == "*/*" or default == "html" else None
    return MEDIA_TYPES.get(media)


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
