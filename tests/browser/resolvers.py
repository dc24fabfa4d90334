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

#: How many rows of a table are tried for a parameter before the page is declared unreachable.
MAX_CANDIDATES = 12


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

    def rows(self, model, *where, order_by=None, limit: int = MAX_CANDIDATES) -> list:
        """Candidate rows: the first ones, then the last ones (demo data varies its states)."""
        from civic.extensions import db

        key = order_by if order_by is not None else model.id
        first = db.session.execute(select(model).where(*where).order_by(key).limit(limit // 2)).scalars().all()
        last = db.session.execute(
            select(model).where(*where).order_by(key.desc()).limit(limit // 2)
        ).scalars().all()
        return list(dict.fromkeys([*first, *last]))

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


def _proposals(*states: str, image: bool = False) -> Resolver:
    def resolve(ctx: ResolverContext):
        from civic.proposals.models import Proposal

        where = [Proposal.state.in_(states)] if states else []
        if image:
            where.append(Proposal.image_name.is_not(None))
        rows = ctx.rows(Proposal, *where)
        if not rows and image:
            raise NotAPage("no demo proposal has an image (an image, not a page)")
        if not rows:
            raise UnresolvedParameter(f"no proposal in state {states} in the demo data (civic/demo)")
        return Found(rows, "id")

    return resolve


def _other_locale(parameter: str) -> Resolver:
    """A language the object of ``parameter`` is not written in (translation pages)."""

    def resolve(ctx: ResolverContext):
        from flask import current_app

        languages = current_app.config["LANGUAGES"]

        def compute(rows: dict):
            row = rows.get(parameter)
            if row is None:
                raise UnresolvedParameter(f"<locale> needs a row for <{parameter}>")
            return next(code for code in languages if code != row.default_locale)

        return Derived(compute)

    return resolve


def _someone_else(ctx: ResolverContext):
    """Another person than the viewer (reporting, messaging)."""
    resident = ctx.account("resident", "en").user_id
    return resident if ctx.viewer.user_id != resident else ctx.account("staff", "en").user_id


def _editable_consultations(ctx: ResolverContext):
    from civic.consultations.models import Consultation, ConsultationState

    rows = [c for c in ctx.rows(Consultation, limit=200)
            if c.current_state in (ConsultationState.DRAFT, ConsultationState.SCHEDULED)]
    if not rows:
        raise UnresolvedParameter("no draft or scheduled consultation in the demo data")
    return Found(rows[:MAX_CANDIDATES], "id")


def _editable_questions(ctx: ResolverContext):
    """Questions can change only before the consultation opens."""
    from civic.consultations.models import Consultation, ConsultationState, Question

    editable = [c.id for c in ctx.rows(Consultation, limit=200)
                if c.current_state in (ConsultationState.DRAFT, ConsultationState.SCHEDULED)]
    rows = ctx.rows(Question, Question.consultation_id.in_(editable)) if editable else []
    if not rows:
        raise UnresolvedParameter("no question of a draft or scheduled consultation in the demo data")
    return Found(rows, "id")


def _second_step_session(ctx: ResolverContext) -> dict:
    """accounts.second_step is shown between the password and the code of a 2-step sign-in."""
    from civic.accounts.models import User
    from civic.core.time import utcnow
    from civic.extensions import db

    admin = db.session.get(User, ctx.account("admin", "en").user_id)
    return {"civic_pending_sign_in": {"u": admin.id, "s": admin.security_stamp, "r": False, "n": "",
                                      "t": utcnow().timestamp()}}


#: Session values some pages need (they are steps inside a flow): ``{"endpoint": fn(ctx)}``.
SESSION_SETUP: dict[str, Resolver] = {"accounts.second_step": _second_step_session}


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
    "consultations.edit_text": {"locale": _other_locale("consultation_id")},
    "meetings.translate": {"locale": _other_locale("meeting_id")},
    "consultations.edit_question": {"question_id": _editable_questions, "consultation_id": _editable_consultations},
    "moderation.report_user": {"user_id": _someone_else},
    "proposals.edit": {"proposal_id": _proposals("draft", "published")},
    "proposals.preview": {"proposal_id": _proposals("draft")},
    "proposals.withdraw": {"proposal_id": _proposals("published")},
    "proposals.image": {"proposal_id": _proposals(image=True)},
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
    """Rows that may fill a parameter, tried in turn until some role may see the page.

    The row in use may also fill the page's other parameters (``section_id`` picks a
    section, whose ``consultation_id`` then fills ``consultation_id``), and its owner
    (``author_id``…) is tried when no role may see the page.
    """

    rows: list
    column: str


@dataclass
class Derived:
    """A value computed from the rows picked for the other parameters (``compute(rows)``,
    ``rows`` maps parameter names to rows): a language a picked object is not written in…"""

    compute: Callable[[dict], object]


class NotAPage(Exception):  # noqa: N818 - a signal, not an error
    """The endpoint has nothing to show with the demo data and is not HTML anyway."""


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
            rows = ctx.rows(cls)
            if not rows:
                raise UnresolvedParameter(
                    f"the table {cls.__tablename__!r} is empty: add demo data (civic/demo) or a "
                    f"resolver in tests/browser/resolvers.py"
                )
            return Found(rows, column)

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


OWNER_COLUMNS = ("author_id", "creator_id", "organizer_id", "owner_id", "user_id")


@dataclass
class Resolution:
    urls: list[str]  # one per variant
    owner_ids: list[int]  # people who own the rows used (tried when no role sees the page)


def resolve_urls(env, page_rule: PageRule, viewer, pick: int = 0) -> Resolution | None:
    """The concrete URLs (one per variant) of a page rule, as ``viewer`` would visit them,
    using the ``pick``-th candidate row; ``None`` once the candidates are exhausted."""
    app = env.app
    with app.app_context():
        ctx = ResolverContext(env=env, viewer=viewer)
        resolved: dict[str, list] = {}
        found_rows = []
        pending: dict[str, UnresolvedParameter] = {}
        derived: dict[str, Derived] = {}
        for parameter in page_rule.arguments:
            try:
                value = resolver_for(page_rule.endpoint, parameter)(ctx)
            except UnresolvedParameter as exc:
                pending[parameter] = exc  # perhaps a column of another parameter's row
                continue
            if isinstance(value, Derived):
                derived[parameter] = value
                continue
            if isinstance(value, Found):
                if pick >= len(value.rows):
                    if pick == 0:
                        raise UnresolvedParameter(f"no candidate for <{parameter}>")
                    return None
                found_rows.append((parameter, value.rows[pick]))
                value = getattr(value.rows[pick], value.column)
            values = list(value) if isinstance(value, list | tuple) else [value]
            if not values or any(v is None for v in values):
                raise UnresolvedParameter(
                    f"the resolver for <{parameter}> of {page_rule.endpoint} found no object: "
                    f"add demo data (civic/demo) or fix the resolver in tests/browser/resolvers.py"
                )
            resolved[parameter] = values
        if pick > 0 and not found_rows:
            return None
        # The row picked for one parameter decides the parameters it points to (its parents).
        for parameter, row in found_rows:
            for other in page_rule.arguments:
                if other != parameter and isinstance(getattr(row, other, None), int | str):
                    resolved[other] = [getattr(row, other)]
                    pending.pop(other, None)
        if pending:
            raise next(iter(pending.values()))
        rows_by_parameter = dict(found_rows)
        for parameter, fn in derived.items():
            resolved[parameter] = [fn.compute(rows_by_parameter)]
        owners = []
        for _parameter, row in reversed(found_rows):
            for column in OWNER_COLUMNS:
                owner = getattr(row, column, None)
                if isinstance(owner, int) and owner not in owners:
                    owners.append(owner)
        choices = [[(parameter, v) for v in resolved[parameter]] for parameter in page_rule.arguments]
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
        return Resolution(urls, owners)
