"""Administrators: staff accounts and the audit trail."""
