"""What organization members see and do under /org/, told through the pages themselves.

A request sent through the public form is approved and offered to two
organizations, each with a member signed in through the real sign-in page
(portal_testing/offers.py: Case). The tests read what each person sees (status
codes, page text) and what is stored, including what an attacker with another
organization's link gets.
"""
