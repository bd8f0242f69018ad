"""Organizations: the CSV import and export, the commands, and the administrators' pages.

Helpers shared by these modules are in portal_testing/organization_csv.py (files) and
portal_testing/admin.py (the administrators' form).
"""
