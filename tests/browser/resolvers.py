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


def _token(purpose_name: str, **extra) -> Resolver:
    """A genuine emailed-link token for the viewer (or a resident when nobody is signed in)."""

    def resolve(ctx: ResolverContext):
        from civic.accounts import tokens
        from civic.accounts.models import User
        from civic.extensions import db

        user = db.session.get(User, _own_or_resident(ctx))
        return tokens.make_token(getattr(tokens, purpose_name), user, **extra)

    return resolve


def _first_department(ctx: ResolverContext):
    from civic.accounts.models import Department

    return ctx.first(Department)


def _outbox_message(ctx: ResolverContext):
    from civic.extensions import db
    from civic.mail.models import OutboxMessage

    message = ctx.first(OutboxMessage)
    if message is None:  # the capture backend keeps mail elsewhere: add one like the console
        message = OutboxMessage(
            recipient="resident@audit.civic.example",
            subject="Welcome to Civic",
            body_text="Hello,\n\nconfirm your address: http://127.0.0.1/confirm\n",
        )
        db.session.add(message)
        db.session.commit()
    return message.id


def _unsubscribe_token(ctx: ResolverContext):
    from civic.notifications.emails import unsubscribe_token
    from civic.notifications.kinds import NotificationKind

    return unsubscribe_token(_own_or_resident(ctx), [next(iter(NotificationKind))])


def _unfollow_token(ctx: ResolverContext):
    from civic.notifications.emails import unfollow_token

    return unfollow_token(_own_or_resident(ctx), _first_department(ctx))


def _meeting_feed_token(ctx: ResolverContext):
    from civic.accounts.models import User
    from civic.extensions import db
    from civic.meetings import services

    user = db.session.get(User, _own_or_resident(ctx))
    feed = services.feed_for(user) or services.regenerate_feed(user, actor=user)
    db.session.commit()
    return services.feed_token(feed)


def _translation_locale(ctx: ResolverContext):
    """A language the first meeting is not written in (the page adds a translation)."""
    from flask import current_app

    from civic.meetings.models import Meeting

    meeting = ctx.first(Meeting)
    if meeting is None:
        raise UnresolvedParameter("the table 'meeting' is empty: add demo data (civic/demo)")
    return next(code for code in current_app.config["LANGUAGES"] if code != meeting.default_locale)


def _taxonomy_kinds(ctx: ResolverContext):
    from civic.consultations.views import TAXONOMIES

    return sorted(TAXONOMIES)


def _taxonomy_row(ctx: ResolverContext):
    """(kind, row) of the first taxonomy that has an entry."""
    from civic.consultations.views import TAXONOMIES

    for kind in sorted(TAXONOMIES):
        row = ctx.first(TAXONOMIES[kind])
        if row is not None:
            return kind, row
    raise UnresolvedParameter("no topic or area in the demo data (civic/demo)")


def _pending_person_token(ctx: ResolverContext):
    """A confirmation link of someone who has not confirmed yet (the page only shows then)."""
    from civic.accounts import tokens
    from civic.accounts.models import AccountStatus, User
    from civic.extensions import db

    email = "pending@audit.civic.example"
    user = ctx.first(User, User.email == email)
    if user is None:
        user = User(
            email=email,
            display_name="Pending Person",
            password_hash="!",  # cannot sign in
            locale="en",
            timezone="Europe/Paris",
            status=AccountStatus.PENDING,
        )
        db.session.add(user)
        db.session.commit()
    return tokens.make_token(tokens.CONFIRM_EMAIL, user)


#: The usual object for a parameter name.
BY_PARAMETER: dict[str, Resolver] = {
    "user_id": _own_or_resident,
    "report_id": _open_barrier_report,
}

#: Page-specific objects: ``{"endpoint": {"parameter": resolver}}``.
BY_ENDPOINT: dict[str, dict[str, Resolver]] = {
    "accounts.email_sent": {"kind": lambda ctx: ["register", "reset"]},
    "admin.outbox_message": {"message_id": _outbox_message},
    "notifications.unsubscribe": {"token": _unsubscribe_token},
    "notifications.unfollow_link": {"token": _unfollow_token},
    "meetings.private_feed": {"token": _meeting_feed_token},
    "meetings.feed_department": {"slug": lambda ctx: _first_department(ctx).slug},
    "consultations.department": {"slug": lambda ctx: _first_department(ctx).slug},
    "meetings.translate": {"locale": _translation_locale},
    "consultations.taxonomy": {"kind": _taxonomy_kinds},
    "consultations.edit_taxonomy": {
        "kind": lambda ctx: _taxonomy_row(ctx)[0],
        "item_id": lambda ctx: _taxonomy_row(ctx)[1].id,
    },
    "accounts.confirm_email": {"token": lambda ctx: _pending_person_token(ctx)},
    "accounts.reset_password": {"token": _token("RESET_PASSWORD")},
    "accounts.confirm_email_change": {"token": _token("CHANGE_EMAIL", n="new-address@audit.civic.example")},
}


@dataclass
class Found:
    """A row picked for a parameter; its other columns may fill the page's other parameters
    (``section_id`` picks a section, whose ``consultation_id`` then fills ``consultation_id``)."""

    row: object
    column: str

    @property
    def value(self):
        return getattr(self.row, self.column)


def _tables_for(name: str) -> list:
    from civic.extensions import db

    classes = [m.class_ for m in db.Model.registry.mappers]
    exact = [c for c in classes if getattr(c, "__tablename__", None) == name]
    if exact:
        return exact
    return [c for c in classes if str(getattr(c, "__tablename__", "")).endswith("_" + name)]


def _table_fallback(parameter: str) -> Resolver | None:
    """``<name>_id`` / ``<name>_slug``: the first row of the table ``name`` (or ``*_name``)."""
    for suffix, column in (("_id", "id"), ("_slug", "slug")):
        if not parameter.endswith(suffix):
            continue
        candidates = [c for c in _tables_for(parameter[: -len(suffix)]) if hasattr(c, column)]
        if len(candidates) != 1:
            return None
        cls = candidates[0]

        def resolve(ctx, cls=cls, column=column):
            row = ctx.first(cls)
            if row is None:
                raise UnresolvedParameter(
                    f"the table {cls.__tablename__!r} is empty: add demo data (civic/demo) or a "
                    f"resolver in tests/browser/resolvers.py"
                )
            return Found(row, column)

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
        resolved: dict[str, list] = {}
        for parameter in page_rule.arguments:
            value = resolver_for(page_rule.endpoint, parameter)(ctx)
            values = list(value) if isinstance(value, list | tuple) else [value]
            if not values or any(v is None for v in values):
                raise UnresolvedParameter(
                    f"the resolver for <{parameter}> of {page_rule.endpoint} found no object: "
                    f"add demo data (civic/demo) or fix the resolver in tests/browser/resolvers.py"
                )
            resolved[parameter] = values
        # A row found for one parameter decides the parameters it points to (its parents).
        for parameter, values in list(resolved.items()):
            if len(values) == 1 and isinstance(values[0], Found):
                row = values[0].row
                for other in page_rule.arguments:
                    if other != parameter and isinstance(getattr(row, other, None), int | str):
                        resolved[other] = [getattr(row, other)]
        choices = [
            [(parameter, v.value if isinstance(v, Found) else v) for v in resolved[parameter]]
            for parameter in page_rule.arguments
        ]
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
