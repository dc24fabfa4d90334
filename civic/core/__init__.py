"""Shared building blocks: models base, enums, errors, sanitizing, i18n, time, mail, jobs."""
