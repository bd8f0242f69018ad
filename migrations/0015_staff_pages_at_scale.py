"""The staff pages with a hundred thousand requests: orders and sets that indexes serve.

- request.queue_rank: the review queue's order before age, stored (it was computed for
  every row of every queue page), with an index in the queue's order; an index for the
  requests past their response time; indexes for the service filter, and for urgency and
  region together (instead of urgency alone).
- offer.working: true while the offer's organization works on the request, so that the
  engagements under way are found without reading every offer ever accepted; indexes for
  an organization's engagements and its offers newest first.
- audit_event: one action's events newest first (action, created_at) instead of (action).
- PostgreSQL: request.reference compares byte by byte (COLLATE "C"), so that a reference
  prefix is a range of its unique index whatever the database's collation.

Existing rows are filled in here, with frozen copies of the rules (a migration must not
change when the application's code does): portal.workflow.queue_rank and
portal.offers' engaged states.

Written like `pwmigrate generate` output.
"""
from peewee import *

CLOSED_STATES = ('completed', 'rejected', 'withdrawn')
ENGAGED_STATES = ('accepted', 'active')
URGENCIES = ('emergency', 'urgent', 'planned')


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('request', 'queue_rank', IntegerField(null=True)),
        migrator.add_column('offer', 'working', BooleanField(default=False)),
    )
    urgency_order = ' '.join(
        f"WHEN '{urgency}' THEN {position}" for position, urgency in enumerate(URGENCIES)
    )
    closed = ', '.join(f"'{state}'" for state in CLOSED_STATES)
    engaged = ', '.join(f"'{state}'" for state in ENGAGED_STATES)
    db.execute_sql(
        'UPDATE request SET queue_rank = '
        f'CASE WHEN state IN ({closed}) THEN 8 '
        "WHEN state = 'approved' AND id IN "
        "(SELECT request_id FROM offer WHERE state IN ('declined', 'expired')) THEN 0 "
        'ELSE 4 END '
        f'+ CASE urgency {urgency_order} ELSE {len(URGENCIES)} END'
    )
    db.execute_sql(
        'UPDATE offer SET working = TRUE '
        "WHERE state = 'accepted' AND request_id IN "
        f'(SELECT id FROM request WHERE state IN ({engaged}))'
    )
    migrator.migrate(
        migrator.add_not_null('request', 'queue_rank'),
        migrator.add_index('request', ('queue_rank', 'created_at', 'id'), False),
        migrator.add_index('request', ('state', 'urgency', 'created_at'), False),
        migrator.add_index('request', ('service',), False),
        migrator.drop_index('request', 'request_urgency'),
        migrator.add_index('request', ('urgency', 'region'), False),
        migrator.add_index('offer', ('working', 'organization_id'), False),
        migrator.add_index('offer', ('organization_id', 'state', 'working'), False),
        migrator.add_index('offer', ('organization_id', 'created_at'), False),
        migrator.drop_index('audit_event', 'audit_event_action'),
        migrator.add_index('audit_event', ('action', 'created_at'), False),
    )
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql('ALTER TABLE request ALTER COLUMN reference TYPE VARCHAR(20) COLLATE "C"')


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql('ALTER TABLE request ALTER COLUMN reference TYPE VARCHAR(20) COLLATE "default"')
    migrator.migrate(
        migrator.drop_index('audit_event', 'audit_event_action_created_at'),
        migrator.add_index('audit_event', ('action',), False),
        migrator.drop_index('offer', 'offer_organization_id_created_at'),
        migrator.drop_index('offer', 'offer_organization_id_state_working'),
        migrator.drop_index('offer', 'offer_working_organization_id'),
        migrator.drop_index('request', 'request_urgency_region'),
        migrator.add_index('request', ('urgency',), False),
        migrator.drop_index('request', 'request_service'),
        migrator.drop_index('request', 'request_state_urgency_created_at'),
        migrator.drop_index('request', 'request_queue_rank_created_at_id'),
        migrator.drop_column('offer', 'working'),
        migrator.drop_column('request', 'queue_rank'),
    )
