"""Signing in to the web forms with an API key: a server-side session (cookie ``HttpOnly``,
``SameSite=Lax``, ``Secure`` over https), a CSRF token in every form, sign-in attempts rate limited.

The session cookie holds a random token whose digest the store keeps; revoking the key ends its
sessions at once. Sign-in itself is protected by a double-submit token (a cookie and a hidden field
that must match), so no other site can sign a visitor in under its own key.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import Request
from fastapi.responses import Response

from catalog_api.errors import ApiError
from catalog_api.governance.auth import Principal, principal_for
from catalog_api.services import Services
from index.governance import create_session, end_session, organization_by_id, session_of

SESSION_COOKIE = "nutmeg_session"
SIGNIN_COOKIE = "nutmeg_signin"


@dataclass(frozen=True, slots=True)
class WebUser:
    principal: Principal
    csrf: str


class CsrfRefused(ApiError):
    def __init__(self) -> None:
        super().__init__(
            403, "csrf", "this form was not sent from this catalog's own page (or it expired); reload it and try again"
        )


def secure(request: Request, services: Services) -> bool:
    return request.url.scheme == "https" or services.settings.base_url.startswith("https://")


def set_cookie(response: Response, request: Request, services: Services, name: str, value: str, hours: float) -> None:
    response.set_cookie(
        name,
        value,
        max_age=int(hours * 3600),
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure(request, services),
    )


def current_user(request: Request, services: Services) -> WebUser | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    found = session_of(services.store, token, datetime.now(UTC))
    if found is None:
        return None
    key, csrf = found
    organization = organization_by_id(services.store, key.organization_id)
    cdo = key.role == "admin" and organization.slug == services.settings.catalog_organization
    return WebUser(Principal(key, organization, cdo), csrf)


def check_csrf(expected: str, submitted: str | None) -> None:
    if not submitted or not hmac.compare_digest(expected.encode(), submitted.encode()):
        raise CsrfRefused()


def signin_token() -> str:
    return secrets.token_urlsafe(24)


def sign_in(request: Request, services: Services, key: str, response: Response) -> Principal:
    """Check the key (401 when it is not valid) and start a session on ``response``."""
    principal = principal_for(services, key.strip())
    lifetime = timedelta(hours=services.settings.session_hours)
    token, _ = create_session(services.store, principal.key.id, datetime.now(UTC), lifetime)
    set_cookie(response, request, services, SESSION_COOKIE, token, services.settings.session_hours)
    response.delete_cookie(SIGNIN_COOKIE, path="/")
    return principal


def sign_out(request: Request, services: Services, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        end_session(services.store, token)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure(request, services))
