"""Administrators manage staff accounts."""
