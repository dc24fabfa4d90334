"""Accounts: people, their roles, departments, sign-in sessions."""
