"""Closed requests are deleted after the retention period, with all that hangs on them."""

import datetime

from portal import intake, retention, sessions, vocabulary, workflow
from portal.models import Message, Request, ServerSession, TimelineEvent, utcnow

from portal_testing import request_fields


def _age(request, days):
    past = utcnow() - datetime.timedelta(days=days)
    Request.update(updated_at=past).where(Request.id == request.id).execute()


def test_closed_requests_past_retention_are_deleted_with_their_messages(app):
    with app.test_request_context():
        old_closed = intake.submit(request_fields(), "en").request
        intake.add_information(old_closed, "more")
        workflow.transition(old_closed, vocabulary.WITHDRAWN, "requester")
        sessions.start_tracking(old_closed)
        _age(old_closed, 200)

        recent_closed = intake.submit(request_fields(), "en").request
        workflow.transition(recent_closed, vocabulary.WITHDRAWN, "requester")
        _age(recent_closed, 10)

        old_open = intake.submit(request_fields(), "en").request
        _age(old_open, 400)

        assert retention.purge_closed(180) == 1
        remaining = {r.id for r in Request.select()}
        assert remaining == {recent_closed.id, old_open.id}
        assert not Message.select().where(Message.request == old_closed.id).exists()
        assert not TimelineEvent.select().where(TimelineEvent.request == old_closed.id).exists()
        assert not ServerSession.select().where(ServerSession.request == old_closed.id).exists()


def test_purge_command_reports_what_it_deleted(app, runner):
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0
    assert "deleted 0 closed requests" in result.output
