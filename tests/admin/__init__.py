"""Administrators: staff accounts, the audit trail, and the organizations they add and edit."""
