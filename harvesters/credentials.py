"""A source's credentials: kept apart from its URL, sent only to the source's own host.

An operator gives them with ``nutmeg source add ... --header NAME=VALUE`` (repeatable) or ``--auth
USER:PASSWORD``; any value may be ``env:VARIABLE``, read from the harvesting process's environment at each
run, so the secret itself need not be stored. The store keeps them in their own column; the API, the pages,
job messages and logs show the URL, which therefore must carry none (:func:`credentials_in_url`).

:class:`HttpClient <harvesters.http.HttpClient>` adds the headers to a request only when it goes to the
source's origin (same scheme, host and port, or the same host upgraded to https); a redirect to another
host gets none of them.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from harvesters.errors import SourceError

ENV_PREFIX = "env:"
# query parameters that carry a secret in the APIs sources publish (Socrata, CKAN, ArcGIS, generic keys)
SECRET_PARAMS = frozenset(
    {
        "$$app_token",
        "app_token",
        "apptoken",
        "api_key",
        "apikey",
        "api-key",
        "key",
        "token",
        "access_token",
        "auth_token",
        "authtoken",
        "id_token",
        "refresh_token",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "pwd",
        "signature",
        "sig",
        "x-amz-signature",
        "x-amz-credential",
    }
)
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
HOW_TO_GIVE = (
    "give credentials apart from the URL: `--header NAME=VALUE` (e.g. --header X-App-Token=env:SOCRATA_TOKEN "
    "for a Socrata app token), or `--auth USER:PASSWORD`; a value `env:VAR` is read from the environment"
)


class CredentialError(SourceError):
    """The source's credentials cannot be used (an environment variable they refer to is not set)."""


def credentials_in_url(url: str) -> str | None:
    """What in ``url`` is a credential (``user:password@``, a token query parameter), or None."""
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        return "a user name or password (user:password@)"
    for name, _ in parse_qsl(parts.query, keep_blank_values=True):
        if name.strip().lower() in SECRET_PARAMS:
            return f"the query parameter {name!r}"
    return None


@dataclass(frozen=True, slots=True)
class SourceCredentials:
    """Headers (values literal or ``env:VAR``) and basic auth (``user:password`` or ``env:VAR``)."""

    headers: Mapping[str, str] = field(default_factory=dict)
    auth: str | None = field(default=None)

    def __repr__(self) -> str:  # never print a secret
        return f"SourceCredentials(headers={sorted(self.headers)}, auth={'set' if self.auth else None})"

    def __bool__(self) -> bool:
        return bool(self.headers or self.auth)

    @classmethod
    def parse(cls, headers: list[str], auth: str | None) -> SourceCredentials:
        """From the command line's ``--header NAME=VALUE`` and ``--auth USER:PASSWORD``; raises
        ``ValueError`` with what is wrong (never the value)."""
        parsed: dict[str, str] = {}
        for item in headers:
            name, sep, value = item.partition("=")
            name = name.strip()
            if not sep or not _HEADER_NAME.fullmatch(name) or not value.strip():
                raise ValueError(f"--header {name or '?'}: write it as NAME=VALUE (or NAME=env:VARIABLE)")
            if name.lower() in ("host", "content-length", "transfer-encoding", "connection"):
                raise ValueError(f"--header {name}: this header is not a credential")
            parsed[name] = value.strip()
        if auth is not None and not auth.startswith(ENV_PREFIX) and ":" not in auth:
            raise ValueError("--auth: write it as USER:PASSWORD (or env:VARIABLE holding USER:PASSWORD)")
        return cls(parsed, auth)

    def to_json(self) -> dict[str, Any]:
        return {"headers": dict(self.headers), "auth": self.auth}

    @classmethod
    def from_json(cls, value: Mapping[str, Any] | None) -> SourceCredentials:
        if not value:
            return cls()
        return cls(dict(value.get("headers") or {}), value.get("auth"))

    def env_names(self) -> list[str]:
        """The environment variables the credentials refer to."""
        values = [*self.headers.values(), *([self.auth] if self.auth else [])]
        return [v.removeprefix(ENV_PREFIX) for v in values if v.startswith(ENV_PREFIX)]

    def resolve(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The headers to send, environment references read now."""
        env = os.environ if environ is None else environ
        out = {name: _value(name, value, env) for name, value in self.headers.items()}
        if self.auth:
            pair = _value("--auth", self.auth, env)
            out["Authorization"] = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
        return out


def _value(name: str, value: str, env: Mapping[str, str]) -> str:
    if not value.startswith(ENV_PREFIX):
        return value
    variable = value.removeprefix(ENV_PREFIX)
    found = env.get(variable)
    if not found:
        raise CredentialError(
            f"the source's credential {name} refers to the environment variable {variable}, which is not set "
            "in the harvesting process; set it there and harvest again"
        )
    return found


def redact_url(url: str) -> str:
    """``url`` with any credential in it replaced by ``***`` (for sources registered before credentials
    were refused in URLs)."""
    if credentials_in_url(url) is None:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.username is not None or parts.password is not None:
        netloc = "***@" + netloc.rpartition("@")[2]
    query = "&".join(
        f"{name}=***" if name.strip().lower() in SECRET_PARAMS else f"{name}={value}" if value else name
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    return parts._replace(netloc=netloc, query=query).geturl()
