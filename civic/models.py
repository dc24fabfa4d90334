"""Imports every domain's models so that Alembic and ``db.metadata`` see all tables.

A new domain adds its ``models`` module here.
"""

from civic.accounts import models as accounts_models  # noqa: F401
from civic.audit import models as audit_models  # noqa: F401
from civic.comments import models as comments_models  # noqa: F401
from civic.consultations import models as consultations_models  # noqa: F401
from civic.mail import models as mail_models  # noqa: F401
from civic.meetings import models as meetings_models  # noqa: F401
from civic.moderation import models as moderation_models  # noqa: F401
from civic.notifications import models as notifications_models  # noqa: F401
from civic.pages import models as pages_models  # noqa: F401
from civic.proposals import models as proposals_models  # noqa: F401
