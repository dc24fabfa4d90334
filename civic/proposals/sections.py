"""The proposals' sections on the consultation page (see civic.consultations.registry).

Loaders take a list of consultations and answer for all of them in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from civic.proposals import permissions, services
from civic.proposals.models import Proposal, ProposalSettings

SECTION_SIZE = 5


@dataclass
class SectionData:
    settings: ProposalSettings
    proposals: list[Proposal]
    can_submit: bool
    can_manage: bool
    remaining: int | None = None
    supported: set[int] = field(default_factory=set)

    @property
    def total(self) -> int:
        return self.settings.published_count


def load_proposals(consultations, user) -> dict[int, SectionData]:
    from civic.proposals.views import visitor_seed

    if not consultations:
        return {}
    settings = services.settings_map(c.id for c in consultations)
    firsts = services.first_proposals(
        [c.id for c in consultations], visitor_seed(), SECTION_SIZE,
        totals={cid: s.published_count for cid, s in settings.items()},
    )
    supported = services.supported_ids(user, [p.id for rows in firsts.values() for p in rows])
    out = {}
    for c in consultations:
        s = settings[c.id]
        remaining = None
        if s.max_supports is not None and getattr(user, "is_authenticated", False) and len(consultations) == 1:
            remaining = services.supports_remaining(user, s)
        out[c.id] = SectionData(
            settings=s,
            proposals=firsts.get(c.id, []),
            can_submit=permissions.can_submit(user, c, s),
            can_manage=permissions.can_manage_settings(user, c),
            remaining=remaining,
            supported=supported,
        )
    return out


def proposals_visible(user, consultation, data: SectionData | None) -> bool:
    if data is None:
        return False
    return data.settings.accepts_proposals or data.total > 0 or data.can_manage


def load_report(consultations, user) -> dict[int, services.ReportData]:
    return services.answered_report([c.id for c in consultations])


def report_visible(user, consultation, data) -> bool:
    return data is not None and data.total > 0
