"""The organization directory as CSV, and the commands that import, export and demo it.

Helpers shared by these modules are in portal_testing/organization_csv.py.
"""
