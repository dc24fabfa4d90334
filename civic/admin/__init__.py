"""Administration: users, roles, departments, the development outbox."""
