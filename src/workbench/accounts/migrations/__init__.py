"""Alembic migrations of the accounts database (run through ``AccountsStore.upgrade``)."""
