"""Staff sign-in, as SECURITY.md at the repository root asks for it ("Accounts and sessions",
"Access control").

Each test tells what a staff member, or someone attacking their account, does and
asserts what they see: status codes, where they are sent, the messages on the
page, the cookie they hold and the rows the server keeps. Time never passes by
sleeping: sessions are aged in the database and TOTP codes are computed for a
given time step. Helpers shared by these modules are in portal_testing/auth.py.
"""
