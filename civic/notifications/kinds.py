"""What each notification kind says, rendered in the reader's language when shown or emailed.

A capability that needs a new kind adds a ``NotificationKind`` member (no migration: the column
has no CHECK constraint) and registers it here or from its own package::

    register_kind(NotificationKind.CONSULTATION_OPENED, default=NotificationFrequency.DAILY,
                  description=_l("…"), render=render_consultation_opened)

``render(notification) -> Rendered`` runs inside the reader's locale and time zone, so it calls
``gettext`` (not ``lazy_gettext``) and formats dates with Flask-Babel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from flask import url_for
from flask_babel import format_datetime, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from civic.accounts.models import NotificationFrequency, Role
from civic.core.i18n import text_direction
from civic.core.templating import current_locale_code, html_lang
from civic.notifications.models import Notification, NotificationKind
from civic.notifications.targets import target_of, target_type


class Foreign(NamedTuple):
    """A value written in a given language (a department's name), marked with lang/dir."""

    text: str
    lang: str

    def __html__(self) -> str:
        if self.lang and self.lang != current_locale_code():
            return str(
                Markup('<span lang="{}" dir="{}">{}</span>').format(
                    html_lang(self.lang), text_direction(self.lang), self.text
                )
            )
        return str(escape(self.text))

    def __str__(self) -> str:
        return self.text


@dataclass
class Rendered:
    """A translated message with ``%(name)s`` placeholders, its values and a link."""

    message: str
    values: dict[str, Any] = field(default_factory=dict)
    #: ``(endpoint, url_for values)`` of the page the notification is about.
    link: tuple[str, dict] | None = None

    def text(self) -> str:
        return self.message % {k: str(v) for k, v in self.values.items()}

    def html(self) -> Markup:
        return escape(self.message) % self.values

    def url(self) -> str | None:
        if self.link is None:
            return None
        endpoint, values = self.link
        return url_for(endpoint, **values)


@dataclass(frozen=True)
class KindSpec:
    kind: NotificationKind
    default: NotificationFrequency
    description: Any
    render: Callable[[Notification], Rendered]


KINDS: dict[NotificationKind, KindSpec] = {}


def register_kind(
    kind: NotificationKind,
    *,
    default: NotificationFrequency,
    description: Any,
    render: Callable[[Notification], Rendered],
) -> None:
    KINDS[kind] = KindSpec(kind, default, description, render)


def spec(kind: NotificationKind) -> KindSpec:
    return KINDS[NotificationKind.coerce(kind)]


def default_frequency(kind: NotificationKind) -> NotificationFrequency:
    return spec(kind).default


def render(notification: Notification) -> Rendered:
    """The notification's text in the current locale (``force_locale`` for emails).

    A kind whose renderer is not registered (its package not loaded) still shows its label.
    """
    found = KINDS.get(notification.kind)
    if found is None:
        return Rendered(escape_percent(notification.kind.label), link=("notifications.index", {}))
    return found.render(notification)


def escape_percent(text: str) -> str:
    return str(text).replace("%", "%%")


# ---- helpers for renderers ------------------------------------------------------------------


def subject_name(notification: Notification) -> Foreign | None:
    target = target_of(notification)
    if target is None:
        return None
    text, lang = target_type(target).name(target, current_locale_code())
    return Foreign(text, lang)


def subject_link(notification: Notification) -> tuple[str, dict] | None:
    target = target_of(notification)
    if target is None:
        return None
    return target_type(target).link(target)


def account_link(notification: Notification) -> tuple[str, dict]:
    return "accounts.profile", {"user_id": notification.recipient_id}


def _when(value: str | None) -> str:
    if not value:
        return ""
    return format_datetime(datetime.fromisoformat(value), "medium")


# ---- the kinds used today ---------------------------------------------------------------------


def _render_role_changed(n: Notification) -> Rendered:
    p = n.params or {}
    change = p.get("change")
    if change == "role":
        try:
            role = Role(p.get("role")).label
        except ValueError:
            role = str(p.get("role"))
        return Rendered(gettext("Your role is now: %(role)s."), {"role": role}, account_link(n))
    if change == "verified":
        return Rendered(
            gettext("Your account is now verified: you are recognised as a resident."),
            link=account_link(n),
        )
    if change == "unverified":
        return Rendered(
            gettext("Your account is no longer verified as a resident's."), link=account_link(n)
        )
    name = subject_name(n) or Foreign(gettext("a department that no longer exists"), "")
    if change == "joined_department":
        return Rendered(
            gettext("You are now a member of the department %(department)s."),
            {"department": name},
            subject_link(n),
        )
    if change == "left_department":
        return Rendered(
            gettext("You are no longer a member of the department %(department)s."),
            {"department": name},
            subject_link(n),
        )
    return Rendered(gettext("Your role or departments changed."), link=account_link(n))


def _render_account_security(n: Notification) -> Rendered:
    p = n.params or {}
    status = p.get("status")
    if status == "suspended" and p.get("until"):
        return Rendered(
            gettext("Your account is suspended until %(date)s."),
            {"date": _when(p.get("until"))},
            account_link(n),
        )
    messages = {
        "active": gettext("Your account is active again."),
        "suspended": gettext("Your account is suspended."),
        "banned": gettext("Your account was banned."),
        "disabled": gettext("Your account was disabled."),
    }
    return Rendered(
        messages.get(status, gettext("Something changed in the security of your account.")),
        link=account_link(n),
    )


def _render_department_update(n: Notification) -> Rendered:
    name = subject_name(n) or Foreign(gettext("a department that no longer exists"), "")
    return Rendered(
        gettext("The department %(department)s updated its details."),
        {"department": name},
        subject_link(n),
    )


def _render_test(n: Notification) -> Rendered:
    from flask import current_app

    return Rendered(
        gettext("Test notification from %(site)s: notifications and emails work."),
        {"site": current_app.config["SITE_NAME"]},
        ("notifications.index", {}),
    )


register_kind(
    NotificationKind.ACCOUNT_SECURITY,
    default=NotificationFrequency.IMMEDIATELY,
    description=_l("When your account is suspended, banned, disabled or reactivated."),
    render=_render_account_security,
)
register_kind(
    NotificationKind.ROLE_CHANGED,
    default=NotificationFrequency.IMMEDIATELY,
    description=_l(
        "When an administrator changes your role, verifies you as a resident or adds you to "
        "a department or removes you from one."
    ),
    render=_render_role_changed,
)
register_kind(
    NotificationKind.DEPARTMENT_UPDATE,
    default=NotificationFrequency.DAILY,
    description=_l("When a department you follow changes its name or contact details."),
    render=_render_department_update,
)
register_kind(
    NotificationKind.TEST,
    default=NotificationFrequency.IMMEDIATELY,
    description=_l("Messages an administrator sends to check that email works."),
    render=_render_test,
)
