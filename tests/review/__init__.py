"""The reviewer's pages: the queue, a request's page, and what staff do with it.

Helpers shared by these modules are in portal_testing/review.py.
"""
