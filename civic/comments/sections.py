"""Where the discussion appears on other capabilities' pages.

* the consultation page: a page section (``civic.consultations.registry``);
* the proposal and meeting pages: ``{% include "comments/_proposal.html" %}`` and
  ``{% include "comments/_meeting.html" %}``, which call ``comment_discussion(kind, obj)``;
* each section of a consultation's text: ``{% include "comments/_section_link.html" %}``
  ("Comment on this section (N)", to the section's discussion page).
"""

from __future__ import annotations

from flask_login import current_user

from civic.comments.forms import CommentForm
from civic.comments.targets import Target, make_target


def load_for_consultations(consultations, user) -> dict:
    """The discussion of the consultation page (a one-item list); several consultations get
    none (the registry's listing use), so the cost stays bounded."""
    from civic.comments.views import load_discussion

    if len(consultations) != 1:
        return {}
    consultation = consultations[0]
    return {consultation.id: load_discussion(make_target("consultation", consultation), user)}


def visible(user, consultation, data) -> bool:
    return data is not None


def discussion_for(kind: str, obj):
    """The discussion of a proposal or meeting page (used by the include templates)."""
    from civic.comments.views import load_discussion

    return load_discussion(make_target(kind, obj), current_user)


def form_for(target: Target, parent=None, id_prefix: str = "new-") -> CommentForm:
    """An empty comment form whose fields' ids start with ``id_prefix`` (several forms can
    share a page; the names stay the same)."""
    form = CommentForm(formdata=None)
    if parent is not None:
        form.parent_id.data = str(parent.id) if hasattr(parent, "id") else str(parent)
    prefix_ids(form, id_prefix)
    return form


def prefix_ids(form, id_prefix: str) -> None:
    for field in form:
        if field.name != "csrf_token":
            field.id = f"{id_prefix}{field.name}"
