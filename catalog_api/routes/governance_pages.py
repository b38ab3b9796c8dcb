"""The publishing pages: sign in with an API key, an organization's admin view, publish and edit a
dataset, register a source or a feed, the review queue, sign out. Plain HTML forms (no JavaScript
needed), each POST carrying the session's CSRF token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from catalog_api.deps import ServicesDep
from catalog_api.errors import ApiError
from catalog_api.governance import publishing, sources
from catalog_api.governance.auth import Principal, limit_address, limit_key, limit_signin
from catalog_api.governance.forms import DATASET_FIELDS, SOURCE_KINDS, edit_body, form_from_dataset
from catalog_api.governance.forms import dataset_from_form as _from_form
from catalog_api.governance.sourcecheck import SourceCheckError
from catalog_api.governance.web import (
    SIGNIN_COOKIE,
    WebUser,
    check_csrf,
    current_user,
    set_cookie,
    sign_in,
    sign_out,
    signin_token,
)
from catalog_api.judging import record_judgement
from catalog_api.reports import record_problems
from catalog_api.services import Services
from catalog_api.templating import templates
from catalog_api.web.admin_view import admin_view, review_items
from catalog_api.web.links import dataset_path
from index.governance import OrganizationRow, get_organization, ownership
from index.ids import id_from_slug
from index.linkchecks import link_states_of

router = APIRouter(tags=["pages"], include_in_schema=False)

Csrf = Annotated[str | None, Form()]


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    response = templates(request).TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _signin_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)


def _user(request: Request, services: Services) -> WebUser | None:
    return current_user(request, services)


def _form_user(request: Request, services: Services, csrf: str | None) -> WebUser:
    """The signed-in user of a form post, with its CSRF token checked and the write rate-limited."""
    user = current_user(request, services)
    if user is None:
        raise ApiError(401, "unauthorized", "sign in with your API key first (at /signin)")
    check_csrf(user.csrf, csrf)
    limit_address(request)
    limit_key(request, user.principal.key.id)
    return user


def _organization(services: Services, user: WebUser, slug: str | None) -> OrganizationRow:
    if slug and slug != user.principal.organization.slug and user.principal.cdo:
        return get_organization(services.store, slug)
    return user.principal.organization


# -- signing in and out ----------------------------------------------------------------------------


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, services: ServicesDep, next: str | None = None) -> Response:
    if _user(request, services) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _signin_page(request, services, next, None)


def _signin_page(request: Request, services: Services, next_: str | None, error: str | None) -> HTMLResponse:
    token = signin_token()
    context = {"signin_csrf": token, "next": _safe_next(next_), "error": error, "section": "manage"}
    response = _page(request, "signin.html", context, 401 if error else 200)
    set_cookie(response, request, services, SIGNIN_COOKIE, token, 1)
    return response


def _safe_next(value: str | None) -> str:
    """Only a path on this site (never ``//host`` or a URL)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/manage"


@router.post("/signin", response_class=HTMLResponse)
def signin(
    request: Request,
    services: ServicesDep,
    key: Annotated[str, Form(max_length=200)] = "",
    csrf: Csrf = None,
    next: Annotated[str | None, Form()] = None,
) -> Response:
    limit_signin(request)
    check_csrf(request.cookies.get(SIGNIN_COOKIE) or "", csrf)
    response = RedirectResponse(_safe_next(next), status_code=303)
    try:
        sign_in(request, services, key, response)
    except ApiError:
        return _signin_page(request, services, next, "That key is not valid (unknown or revoked).")
    return response


@router.post("/signout")
def signout(request: Request, services: ServicesDep, csrf: Csrf = None) -> Response:
    user = current_user(request, services)
    if user is not None:
        check_csrf(user.csrf, csrf)
    response = RedirectResponse("/", status_code=303)
    sign_out(request, services, response)
    return response


# -- the organization's admin view -----------------------------------------------------------------


@router.get("/manage", response_class=HTMLResponse)
def manage(
    request: Request, services: ServicesDep, organization: str | None = None, done: str | None = None
) -> Response:
    user = _user(request, services)
    if user is None:
        return _signin_redirect(request)
    org = _organization(services, user, organization)
    view = admin_view(services, user.principal, org)
    return _page(request, "manage.html", {"user": user, "view": view, "done": done, "section": "manage"})


# -- publishing and editing datasets ---------------------------------------------------------------


@router.get("/manage/datasets/new", response_class=HTMLResponse)
def new_dataset(request: Request, services: ServicesDep, organization: str | None = None) -> Response:
    user = _user(request, services)
    if user is None:
        return _signin_redirect(request)
    org = _organization(services, user, organization)
    return _dataset_page(request, user, org, {}, None, None)


def _dataset_page(
    request: Request,
    user: WebUser,
    org: OrganizationRow,
    values: dict[str, str],
    record_id: str | None,
    error: ApiError | None,
    services: Services | None = None,
) -> HTMLResponse:
    context = {
        **(_judged(services, record_id) if services is not None and record_id else {}),
        "user": user,
        "org": org,
        "fields": DATASET_FIELDS,
        "values": values,
        "record_id": record_id,
        "error": error,
        "field_errors": {f["field"].split(".")[0]: f["message"] for f in (error.fields or [])} if error else {},
        "section": "manage",
    }
    return _page(request, "dataset_form.html", context, error.status if error else 200)


def _judged(services: Services, record_id: str) -> dict[str, Any]:
    """The record's full problem list and its quality, for its publisher (issue 13)."""
    row = services.store.get_record(record_id)
    freshness, quality = record_judgement(row, services.clock(), link_states_of(services.store, [row.dataset]))
    return {"problems": record_problems(services, row), "quality": quality, "freshness": freshness}


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str)}


@router.post("/manage/datasets/new", response_class=HTMLResponse)
async def publish_dataset(request: Request, services: ServicesDep) -> Response:
    return await run_in_threadpool(_publish_dataset, request, services, await _form(request))


def _publish_dataset(request: Request, services: Services, form: dict[str, str]) -> Response:
    user = _form_user(request, services, form.get("csrf"))
    org = _organization(services, user, form.get("organization"))
    body = {k: v for k, v in _from_form(form).items() if v not in (None, [])}
    try:
        outcome = publishing.create(services, user.principal, org, publishing.parse_dataset(body))
    except ApiError as exc:
        return _dataset_page(request, user, org, form, None, exc)
    return _after_write(outcome)


def _after_write(outcome: publishing.Outcome) -> RedirectResponse:
    if outcome.draft is not None:
        return RedirectResponse(f"/manage?done=draft-{outcome.draft.id}", status_code=303)
    assert outcome.record_id is not None
    return RedirectResponse(dataset_path(outcome.title or "", outcome.record_id), status_code=303)


def _editable(services: Services, user: WebUser, segment: str) -> tuple[str, dict[str, Any], OrganizationRow]:
    rid = id_from_slug(segment) or segment
    record = services.store.get_record(rid)
    owner = ownership(services.store, rid)
    if not user.principal.cdo and not owner.owned_by(user.principal.organization.id):
        raise ApiError(403, "forbidden", "this dataset belongs to another organization")
    return rid, record.dataset, user.principal.organization


@router.get("/manage/datasets/{segment}/edit", response_class=HTMLResponse)
def edit_dataset_form(segment: str, request: Request, services: ServicesDep) -> Response:
    user = _user(request, services)
    if user is None:
        return _signin_redirect(request)
    rid, dataset, org = _editable(services, user, segment)
    page = _dataset_page(request, user, org, form_from_dataset(dataset), rid, None, services)
    return page


@router.post("/manage/datasets/{segment}/edit", response_class=HTMLResponse)
async def edit_dataset(segment: str, request: Request, services: ServicesDep) -> Response:
    return await run_in_threadpool(_edit_dataset, segment, request, services, await _form(request))


def _edit_dataset(segment: str, request: Request, services: Services, form: dict[str, str]) -> Response:
    user = _form_user(request, services, form.get("csrf"))
    rid, dataset, org = _editable(services, user, segment)
    body = edit_body(dataset, form)
    if not body:
        return RedirectResponse(dataset_path(dataset.get("title") or "", rid), status_code=303)
    try:
        outcome = publishing.update(services, user.principal, rid, body, partial=True)
    except ApiError as exc:
        return _dataset_page(request, user, org, form, rid, exc)
    return _after_write(outcome)


# -- sources ---------------------------------------------------------------------------------------


@router.get("/manage/sources/new", response_class=HTMLResponse)
def new_source(request: Request, services: ServicesDep, organization: str | None = None) -> Response:
    user = _user(request, services)
    if user is None:
        return _signin_redirect(request)
    return _source_page(request, user, _organization(services, user, organization), {"kind": "datajson"}, None)


def _source_page(
    request: Request, user: WebUser, org: OrganizationRow, values: dict[str, str], error: str | None
) -> HTMLResponse:
    context = {"user": user, "org": org, "values": values, "kinds": SOURCE_KINDS, "error": error, "section": "manage"}
    return _page(request, "source_form.html", context, 400 if error else 200)


@router.post("/manage/sources/new", response_class=HTMLResponse)
async def register_source(request: Request, services: ServicesDep) -> Response:
    return await run_in_threadpool(_register_source, request, services, await _form(request))


def _register_source(request: Request, services: Services, form: dict[str, str]) -> Response:
    user = _form_user(request, services, form.get("csrf"))
    org = _organization(services, user, form.get("organization"))
    user.principal.require("publisher", org.id, "register sources")
    options: dict[str, Any] = {}
    keywords = [k.strip() for k in form.get("keywords", "").split(",") if k.strip()]
    if keywords:
        options["keywords"] = keywords
    for name in ("license", "frequency"):
        if form.get(name, "").strip():
            options[name] = form[name].strip()
    spec = sources.SourceSpec(
        name=form.get("name", "").strip(),
        url=form.get("url", "").strip(),
        kind=form.get("kind", "datajson"),
        title=form.get("title") or None,
        description=form.get("description") or None,
        publisher=org.title,
        options=options,
        schedule=form.get("schedule") or None,
        organization_id=org.id,
    )
    try:
        sources.register(
            services.store,
            services.settings,
            spec,
            user.principal.actor,
            check=not form.get("no_check"),
            option_hint="kind",
        )
    except (SourceCheckError, ApiError) as exc:
        return _source_page(request, user, org, form, exc.message)
    return RedirectResponse(f"/manage?done=source-{spec.name}", status_code=303)


@router.post("/manage/sources/{name}/harvest")
async def harvest_source(name: str, request: Request, services: ServicesDep) -> Response:
    return await run_in_threadpool(_harvest_source, name, request, services, await _form(request))


def _harvest_source(name: str, request: Request, services: Services, form: dict[str, str]) -> Response:
    user = _form_user(request, services, form.get("csrf"))
    source = services.store.get_source(name)
    user.principal.require("publisher", source.organization_id, "harvest sources")
    job = sources.harvest_in_background(services, name, user.principal.actor)
    return RedirectResponse(f"/source/{name}?job={job}", status_code=303)


# -- review ----------------------------------------------------------------------------------------


@router.get("/manage/review", response_class=HTMLResponse)
def review(request: Request, services: ServicesDep, organization: str | None = None) -> Response:
    user = _user(request, services)
    if user is None:
        return _signin_redirect(request)
    org = _organization(services, user, organization)
    principal: Principal = user.principal
    items = review_items(services, principal, None if principal.cdo and not organization else org)
    context = {"user": user, "org": org, "items": items, "section": "manage"}
    return _page(request, "review.html", context)


@router.post("/manage/drafts/{draft_id}/approve")
async def approve(draft_id: int, request: Request, services: ServicesDep) -> Response:
    return await run_in_threadpool(_approve, draft_id, request, services, await _form(request))


def _approve(draft_id: int, request: Request, services: Services, form: dict[str, str]) -> Response:
    user = _form_user(request, services, form.get("csrf"))
    publishing.approve(services, user.principal, draft_id)
    return RedirectResponse(f"/manage/review?done=approved-{draft_id}", status_code=303)


@router.post("/manage/drafts/{draft_id}/reject")
async def reject(draft_id: int, request: Request, services: ServicesDep) -> Response:
    return await run_in_threadpool(_reject, draft_id, request, services, await _form(request))


def _reject(draft_id: int, request: Request, services: Services, form: dict[str, str]) -> Response:
    user = _form_user(request, services, form.get("csrf"))
    comment = (form.get("comment") or "").strip()
    if not comment:
        raise ApiError(400, "bad_parameter", "say why the draft is rejected: the publisher sees the comment")
    publishing.reject(services, user.principal, draft_id, comment)
    return RedirectResponse(f"/manage/review?done=rejected-{draft_id}", status_code=303)
