"""Response-time targets and offer lifetimes: what is overdue, who is told and when, offers
that lapse, and what reviewers, organization members and requesters read of it.

The clock is moved with time_machine (`travel(..., tick=False)`) or given to the domain
functions as `now=`; nothing sleeps. Staff sign in at the moment a test looks at their
pages (a session ends after 30 idle minutes, and the clock jumps by hours here).
Helpers shared by these modules are in story.py, next to them.
"""
