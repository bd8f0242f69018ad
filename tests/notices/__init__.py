"""Notifications: who is told that there is something new, how soon, in which language, and
what the email says (nothing but that), told through the pages and the domain functions.

Mail goes to the portal's outbox folder, or to a real SMTP server on 127.0.0.1 that
requires STARTTLS (mailboxes.py). The clock is moved with time_machine, never waited for.
"""
