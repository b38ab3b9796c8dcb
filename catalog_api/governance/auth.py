"""Who is writing: ``Authorization: Bearer <key>`` on every write, checked against the store's hashed
keys, and what their role allows.

Roles are ordered: a ``reviewer`` can do what a ``publisher`` can, an ``admin`` what a reviewer can.
Every key acts in its own organization; an ``admin`` of the catalog organization
(``NUTMEG_CATALOG_ORGANIZATION``) is the CDO and acts in every organization. Errors never repeat the
key that was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from catalog_api.deps import ServicesDep
from catalog_api.errors import ApiError
from catalog_api.governance.ratelimit import RateLimited, RateLimiter
from catalog_api.services import Services
from index.governance import (
    Actor,
    KeyRow,
    OrganizationRow,
    authenticate,
    get_organization,
    organization_by_id,
)
from index.roles import ROLES

RANK = {role: n for n, role in enumerate(ROLES)}
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="nutmeg"'}


class Unauthorized(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(401, "unauthorized", message, headers=_CHALLENGE)


class Forbidden(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(403, "forbidden", message)


class TooManyRequests(ApiError):
    def __init__(self, limited: RateLimited) -> None:
        super().__init__(429, "too_many_requests", str(limited), headers={"Retry-After": str(limited.retry_after)})


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated key: its row, its organization and whether it is the CDO."""

    key: KeyRow
    organization: OrganizationRow
    cdo: bool

    @property
    def actor(self) -> Actor:
        label = f"key {self.key.id} ({self.key.role}, {self.organization.slug})"
        return Actor(self.key.id, self.organization.id, label)

    def can(self, role: str) -> bool:
        return RANK[self.key.role] >= RANK[role]

    def require(self, role: str, organization_id: int | None, doing: str) -> None:
        """Refuse (403) unless the key has ``role`` in ``organization_id`` (or is the CDO)."""
        if self.cdo:
            return
        if organization_id is None or organization_id != self.organization.id:
            raise Forbidden(
                f"this key belongs to {self.organization.slug!r} and cannot {doing} of another organization"
            )
        if not self.can(role):
            raise Forbidden(f"{doing} needs the {role} role; this key is a {self.key.role}")


def bearer(request: Request) -> str:
    """The key in ``Authorization: Bearer <key>`` (401 when absent or malformed)."""
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("this request changes the catalog and needs an API key: send 'Authorization: Bearer <key>'")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token or len(token) > 200:
        raise Unauthorized("the Authorization header must be 'Bearer <key>'")
    return token


def principal_for(services: Services, token: str) -> Principal:
    """The principal of a presented key (401 for an unknown or revoked key)."""
    key = authenticate(services.store, token, datetime.now(UTC))
    if key is None:
        raise Unauthorized("the API key is not valid (unknown or revoked); ask your organization's admin for one")
    organization = organization_by_id(services.store, key.organization_id)
    cdo = key.role == "admin" and organization.slug == services.settings.catalog_organization
    return Principal(key, organization, cdo)


def limiters(request: Request) -> tuple[RateLimiter, RateLimiter]:
    """The app's write limiter and sign-in limiter (made on first use, one per app)."""
    state = request.app.state
    if not hasattr(state, "write_limiter"):
        settings = request.app.state.services.settings
        state.write_limiter = RateLimiter(settings.write_rate_limit)
        state.signin_limiter = RateLimiter(settings.signin_rate_limit)
    return state.write_limiter, state.signin_limiter


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _hit(limiter: RateLimiter, name: str, what: str) -> None:
    try:
        limiter.hit(name, what)
    except RateLimited as exc:
        raise TooManyRequests(exc) from exc


def limit_address(request: Request) -> None:
    """Count one write from the client's address (429 past the limit)."""
    _hit(limiters(request)[0], f"addr:{client_address(request)}", "writes from this address")


def limit_key(request: Request, key_id: int) -> None:
    """Count one write with a key (429 past the limit)."""
    _hit(limiters(request)[0], f"key:{key_id}", "writes with this key")


def limit_signin(request: Request) -> None:
    _hit(limiters(request)[1], f"addr:{client_address(request)}", "sign-in attempts from this address")


def writer(request: Request, services: ServicesDep) -> Principal:
    """The dependency of every write endpoint: rate limit by address, authenticate, rate limit by key."""
    limit_address(request)
    found = principal_for(services, bearer(request))
    limit_key(request, found.key.id)
    return found


WriterDep = Annotated[Principal, Depends(writer)]


def organization_for(services: Services, principal: Principal, slug: str | None) -> OrganizationRow:
    """The organization a write acts in: the key's own, or (for the CDO) the one named."""
    if slug is None or slug == principal.organization.slug:
        return principal.organization
    if not principal.cdo:
        raise Forbidden(f"this key belongs to {principal.organization.slug!r} and cannot act for {slug!r}")
    return get_organization(services.store, slug)
