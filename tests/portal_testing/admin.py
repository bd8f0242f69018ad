"""What the administrators' tests (tests/admin/) share: accounts, audit events, organizations."""

import html

from portal.models import AuditEvent, Organization, User

from .pages import PageForms
from .staff import create_staff_account


def add_account(app, email, role):
    with app.app_context():
        return create_staff_account(email, role)


def fetch(app, uid):
    with app.app_context():
        return User.get(User.uid == uid)


def events(app, action=None):
    with app.app_context():
        query = AuditEvent.select().order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(query)
