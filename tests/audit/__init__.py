"""Administrators read the audit trail."""
