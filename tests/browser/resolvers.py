"""Which pages exist, and how to fill their URL parameters with real demo objects.

Every rule of ``app.url_map`` that answers GET is a page to audit, except the few in
``EXCLUDED`` (files that are not HTML). Responses that turn out not to be HTML (JSON, feeds,
downloads) are recognised by their content type and reported as skipped.

Each URL parameter is filled by a resolver, looked up in this order:

1. ``BY_ENDPOINT[endpoint][parameter]`` — when one page needs a particular object;
2. ``BY_PARAMETER[parameter]`` — the usual object for that parameter name;
3. ``<table>_id`` / ``<table>_slug`` — the first row of the mapped table of that name.

A parameter none of them knows makes the audit of that page FAIL, so a new page can never
escape the audit: add a line below. A resolver is ``fn(ctx) -> value`` (or a list of values
to audit several variants); ``ctx.viewer`` is the audit account about to look at the page
(its ``role``, ``lang`` and ``user_id``), for pages that only their owner may see.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

#: Endpoints that never serve HTML pages, with the reason.
EXCLUDED = {
    "static": "Flask's static files (CSS, JS, images), not pages",
    "assets": "fingerprinted static files (CSS, JS, images), not pages",
}


@dataclass(frozen=True)
class PageRule:
    endpoint: str
    rule: str
    arguments: tuple[str, ...]
    test_id: str


def page_rules(app) -> list[PageRule]:
    """Every GET rule of the app that may serve a page, in a stable order."""
    rules = [
        r
        for r in app.url_map.iter_rules()
        if "GET" in (r.methods or ()) and r.endpoint not in EXCLUDED
    ]
    counts: dict[str, int] = {}
    for r in rules:
        counts[r.endpoint] = counts.get(r.endpoint, 0) + 1
    out = []
    for r in sorted(rules, key=lambda r: (r.endpoint, r.rule)):
        required = tuple(a for a in sorted(r.arguments) if a not in (r.defaults or {}))
        test_id = r.endpoint if counts[r.endpoint] == 1 else f"{r.endpoint}[{r.rule}]"
        out.append(PageRule(r.endpoint, r.rule, required, test_id))
    return out


class UnresolvedParameter(Exception):
    """A URL parameter nobody knows how to fill: the developer must add a resolver."""


@dataclass
class ResolverContext:
    env: object  # harness.LiveEnv
    viewer: object  # harness.AuditAccount

    def account(self, role: str, lang: str = "en"):
        return self.env.account(role, lang)

    def first(self, model, *where, order_by=None):
        from civic.extensions import db

        stmt = select(model).where(*where).order_by(order_by if order_by is not None else model.id)
        return db.session.execute(stmt.limit(1)).scalars().first()

    def first_id(self, model, *where, order_by=None):
        row = self.first(model, *where, order_by=order_by)
        return None if row is None else row.id


Resolver = Callable[[ResolverContext], object]


def _own_or_resident(ctx: ResolverContext):
    """A person's own page when signed in; someone else's (a resident's) for visitors."""
    if ctx.viewer.user_id is not None:
        return ctx.viewer.user_id
    return ctx.account("resident", "en").user_id


def _open_barrier_report(ctx: ResolverContext):
    from civic.pages.models import BarrierReport

    return ctx.first_id(BarrierReport)


#: The usual object for a parameter name.
BY_PARAMETER: dict[str, Resolver] = {
    "user_id": _own_or_resident,
    "report_id": _open_barrier_report,
}

#: Page-specific objects: ``{"endpoint": {"parameter": resolver}}``.
BY_ENDPOINT: dict[str, dict[str, Resolver]] = {}


def _table_fallback(parameter: str) -> Resolver | None:
    for suffix, column in (("_id", "id"), ("_slug", "slug")):
        if not parameter.endswith(suffix):
            continue
        table = parameter[: -len(suffix)]
        from civic.extensions import db

        for mapper in db.Model.registry.mappers:
            cls = mapper.class_
            if getattr(cls, "__tablename__", None) == table and hasattr(cls, column):

                def resolve(ctx, cls=cls, column=column, table=table):
                    row = ctx.first(cls)
                    if row is None:
                        raise UnresolvedParameter(
                            f"the table {table!r} is empty: add demo data (civic/demo) or a "
                            f"resolver in tests/browser/resolvers.py"
                        )
                    return getattr(row, column)

                return resolve
    return None


def resolver_for(endpoint: str, parameter: str) -> Resolver:
    fn = BY_ENDPOINT.get(endpoint, {}).get(parameter) or BY_PARAMETER.get(parameter)
    fn = fn or _table_fallback(parameter)
    if fn is None:
        raise UnresolvedParameter(
            f"no resolver for the URL parameter <{parameter}> of {endpoint}: add one to "
            f"BY_PARAMETER or BY_ENDPOINT in tests/browser/resolvers.py so the page is audited "
            f"with a real demo object"
        )
    return fn


def resolve_urls(env, page_rule: PageRule, viewer) -> list[str]:
    """The concrete URLs (one per variant) of a page rule, as ``viewer`` would visit them."""
    app = env.app
    with app.app_context():
        ctx = ResolverContext(env=env, viewer=viewer)
        choices = []
        for parameter in page_rule.arguments:
            value = resolver_for(page_rule.endpoint, parameter)(ctx)
            values = value if isinstance(value, list | tuple) else [value]
            if not values or any(v is None for v in values):
                raise UnresolvedParameter(
                    f"the resolver for <{parameter}> of {page_rule.endpoint} found no object: "
                    f"add demo data (civic/demo) or fix the resolver in tests/browser/resolvers.py"
                )
            choices.append([(parameter, v) for v in values])
        rule = next(
            r for r in app.url_map.iter_rules()
            if r.endpoint == page_rule.endpoint and r.rule == page_rule.rule
        )
        urls = []
        for combo in itertools.product(*choices):
            built = rule.build(dict(combo), append_unknown=False)
            if built is None:
                raise UnresolvedParameter(f"{page_rule.rule} cannot be built from {dict(combo)}")
            urls.append(built[1])
        return urls
