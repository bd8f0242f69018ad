"""Every code the portal stores, and what each one is called on a page.

The codes (services, urgencies, states, roles, audit actions…) are what rows
and forms hold; the labels are what people read, translated when the page is
drawn. Both live here, side by side, so that a new code cannot exist without
its label, and no blueprint or domain module keeps a list of its own.
Regions and countries are data of their own: see `portal.regions`.
"""

from flask_babel import lazy_gettext as _l

# --- what a request asks for -----------------------------------------------------------------

SERVICE_LABELS = {
    "accompaniment": _l("Protective accompaniment"),
    "solidarity": _l("Solidarity visit"),
    "monitoring": _l("Monitoring visit"),
}
SERVICES = tuple(SERVICE_LABELS)
SERVICE_HINTS = {
    "accompaniment": _l(
        "International volunteers stay beside you or your community over time, "
        "so that any attack draws an international response."
    ),
    "solidarity": _l("Defenders from your region or elsewhere come to show their support."),
    "monitoring": _l(
        "A visit that documents a case or a wider situation of repression or criminalization."
    ),
}

# In order of urgency: queues and inboxes sort by this order.
URGENCY_LABELS = {
    "emergency": _l("Emergency: within 72 hours"),
    "urgent": _l("Urgent: within two weeks"),
    "planned": _l("Not urgent: can be planned"),
}
URGENCIES = tuple(URGENCY_LABELS)
EMERGENCY = URGENCIES[0]

REQUESTER_KIND_LABELS = {
    "individual": _l("A person (for myself or for someone else)"),
    "community": _l("A community"),
    "organization": _l("An organization"),
}
REQUESTER_KINDS = tuple(REQUESTER_KIND_LABELS)

# --- the risk picture a requester may give (portal/risk.py) ---------------------------------

THREAT_LABELS = {
    "surveillance": _l("Surveillance: being followed, watched or listened to"),
    "threats": _l("Threats or intimidation"),
    "physical_attack": _l("Physical attack"),
    "legal_harassment": _l("Legal harassment: charges, arrest, lawsuits"),
    "stigmatisation": _l("Stigmatisation or smear campaigns"),
    "displacement": _l("Displacement or eviction"),
    "other": _l("Something else"),
}
THREATS = tuple(THREAT_LABELS)

THREAT_SOURCE_LABELS = {
    "state": _l("State authorities (police, army, officials)"),
    "armed_group": _l("An armed group"),
    "company": _l("A company or its security"),
    "community": _l("People in the community"),
    "unknown": _l("Not known"),
}
THREAT_SOURCES = tuple(THREAT_SOURCE_LABELS)

AT_RISK_LABELS = {
    "family": _l("Family"),
    "community": _l("Community members"),
    "colleagues": _l("Colleagues"),
}
AT_RISK = tuple(AT_RISK_LABELS)

# --- what the requester allows to be shared (portal/consent.py) ------------------------------

WORDS_LABELS = {
    "written": _l("My own words, as I wrote them"),
    "summary": _l("Only the network's summary of them"),
}
SHARED_WORDS = tuple(WORDS_LABELS)

# A request made for someone else: what the person asking knows of that person's agreement.
ON_BEHALF_LABELS = {
    "asked": _l("They asked me to send it"),
    "agreed": _l("They agreed that I send it"),
    "unaware": _l("They do not know yet"),
}
ON_BEHALF = tuple(ON_BEHALF_LABELS)

CHANNEL_LABELS = {
    "signal": "Signal",
    "whatsapp": "WhatsApp",
    "telegram": "Telegram",
    "email": _l("Email"),
    "phone": _l("Phone call or text message"),
    "other": _l("Other"),
}
CONTACT_CHANNELS = tuple(CHANNEL_LABELS)

# --- the states of a request (see portal.workflow for the moves between them) ----------------

SUBMITTED = "submitted"
IN_REVIEW = "in_review"
NEEDS_INFO = "needs_info"
APPROVED = "approved"
OFFERED = "offered"
ACCEPTED = "accepted"
ACTIVE = "active"
COMPLETED = "completed"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"

# What staff call each state: internal words are fine here ("Needs information"),
# unlike PUBLIC_LABELS, which requesters read. In the order a request moves through them.
STAFF_LABELS = {
    SUBMITTED: _l("Submitted"),
    IN_REVIEW: _l("In review"),
    NEEDS_INFO: _l("Needs information"),
    APPROVED: _l("Approved"),
    OFFERED: _l("Offered to organizations"),
    ACCEPTED: _l("Accepted by an organization"),
    ACTIVE: _l("Active"),
    COMPLETED: _l("Completed"),
    REJECTED: _l("Rejected"),
    WITHDRAWN: _l("Withdrawn"),
}
STATES = tuple(STAFF_LABELS)
CLOSED_STATES = frozenset({COMPLETED, REJECTED, WITHDRAWN})
OPEN_STATES = frozenset(STATES) - CLOSED_STATES

# What the requester reads on the tracking page: plain words, no internals.
PUBLIC_LABELS = {
    SUBMITTED: _l("Received"),
    IN_REVIEW: _l("Being reviewed"),
    NEEDS_INFO: _l("Waiting for your answer"),
    APPROVED: _l("Approved, looking for an organization"),
    OFFERED: _l("Proposed to organizations"),
    ACCEPTED: _l("Accepted by an organization"),
    ACTIVE: _l("Under way"),
    COMPLETED: _l("Completed"),
    REJECTED: _l("Not taken forward"),
    WITHDRAWN: _l("Withdrawn by you"),
}
PUBLIC_EXPLANATIONS = {
    SUBMITTED: _l("Your request has arrived safely. Network staff will read it soon."),
    IN_REVIEW: _l("Network staff are reading your request."),
    NEEDS_INFO: _l("Network staff have a question for you. Please read the messages below."),
    APPROVED: _l("Your request was approved. We are looking for an organization that can help."),
    OFFERED: _l("Your request has been proposed to organizations that work in your region."),
    ACCEPTED: _l("An organization has agreed to take on your request."),
    ACTIVE: _l("The accompaniment or visit is under way."),
    COMPLETED: _l("The accompaniment or visit has ended."),
    REJECTED: _l("The network could not take your request forward."),
    WITHDRAWN: _l("You withdrew this request. Nothing more will be done with it."),
}

# Why a request was not taken forward: (what staff pick, what the requester reads).
# The reviewer's own words stay internal.
REJECTION_REASONS = {
    "outside_mandate": (
        _l("Outside what the network does"),
        _l(
            "What you asked for is not something the organizations of this network can offer. "
            "This says nothing about the importance of your situation."
        ),
    ),
    "not_enough_information": (
        _l("Not enough information"),
        _l(
            "We could not understand enough of the situation to act. "
            "You are welcome to send a new request with more details."
        ),
    ),
    "no_capacity": (
        _l("No organization can take it on"),
        _l(
            "No organization of the network can take on a request like this at the moment. "
            "We are sorry; you may ask again later."
        ),
    ),
    "duplicate": (
        _l("Duplicate of another request"),
        _l("This request repeats another one the network is already working on."),
    ),
    "other": (
        _l("Another reason"),
        _l("The network could not take this request forward. You may send a new request."),
    ),
}

# What a requester may answer when asked how a completed accompaniment or visit went.
EVALUATION_ANSWERS = {
    "yes": _l("Yes"),
    "partly": _l("Partly"),
    "no": _l("No"),
}

# --- who acts on a request (the timeline's actors, the authors of messages) ------------------

REQUESTER = "requester"
STAFF = "staff"
ORGANIZATION = "organization"
SYSTEM = "system"
ACTOR_LABELS = {
    REQUESTER: _l("Requester"),
    STAFF: _l("Network staff"),
    ORGANIZATION: _l("Organization"),
    SYSTEM: _l("The portal"),
}

# --- offers: a request proposed to one organization --------------------------------------------

OFFER_OPEN, OFFER_ACCEPTED, OFFER_DECLINED, OFFER_CLOSED = "open", "accepted", "declined", "closed"
OFFER_EXPIRED = "expired"
OFFER_LABELS = {
    OFFER_OPEN: _l("Waiting for an answer"),
    OFFER_ACCEPTED: _l("Accepted"),
    OFFER_DECLINED: _l("Declined"),
    # Another organization accepted, or the request stopped being offered.
    OFFER_CLOSED: _l("Closed without an answer"),
    # Nobody answered in time: the request went back to be matched again.
    OFFER_EXPIRED: _l("Expired without an answer"),
}

# --- check-ins while the work is under way (portal/checkins.py) -------------------------------

CHECK_IN_WELL, CHECK_IN_CONCERN, CHECK_IN_INCIDENT, CHECK_IN_MISSED = (
    "well",
    "concern",
    "incident",
    "missed",
)
CHECK_IN_LABELS = {
    CHECK_IN_WELL: _l("All well"),
    CHECK_IN_CONCERN: _l("A concern"),
    CHECK_IN_INCIDENT: _l("An incident"),
    # Written by the portal when nobody checked in on time.
    CHECK_IN_MISSED: _l("Missed: no check-in on time"),
}
# What an organization may record (a missed check-in is the portal's to write).
CHECK_IN_RECORDED = (CHECK_IN_WELL, CHECK_IN_CONCERN, CHECK_IN_INCIDENT)
# How often the accepting organization checks in, in hours.
CHECK_IN_RHYTHM_LABELS = {
    12: _l("Every 12 hours"),
    24: _l("Every day"),
    48: _l("Every 2 days"),
    72: _l("Every 3 days"),
    168: _l("Every week"),
}
CHECK_IN_RHYTHMS = tuple(CHECK_IN_RHYTHM_LABELS)
# Why a request is back in front of reviewers while an organization works on it.
ATTENTION_LABELS = {
    CHECK_IN_MISSED: _l("Check-in missed"),
    CHECK_IN_INCIDENT: _l("Incident reported"),
}

# --- accounts (see portal.access for what each role may open) --------------------------------

ADMIN, REVIEWER, ORG_MEMBER = "admin", "reviewer", "org_member"
ROLE_LABELS = {
    ADMIN: _l("Administrator"),
    REVIEWER: _l("Reviewer"),
    ORG_MEMBER: _l("Organization member"),
}
ROLES = tuple(ROLE_LABELS)
# The same names inside a sentence ("signed in as … (reviewer)"), cased as each language
# writes a common noun there.
ROLE_IN_SENTENCE = {
    ADMIN: _l("administrator"),
    REVIEWER: _l("reviewer"),
    ORG_MEMBER: _l("organization member"),
}

# --- the audit trail: every action it records, and what the audit page calls it -------------

AUDIT_ACTIONS = {
    "account.created": _l("Account created"),
    "account.deactivated": _l("Account deactivated"),
    "account.reactivated": _l("Account reactivated"),
    "account.reset": _l("Password and two-step sign-in reset"),
    "account.password_changed": _l("Password changed"),
    "account.totp_enrolled": _l("Two-step sign-in set up"),
    "account.recovery_code_used": _l("Recovery code used"),
    "sign_in.succeeded": _l("Signed in"),
    "sign_in.failed": _l("Sign-in failed"),
    "sign_in.second_factor_failed": _l("Wrong sign-in code"),
    "sign_in.second_factor_blocked": _l("Sign-in stopped after too many wrong codes"),
    "sign_out": _l("Signed out"),
    "request.viewed": _l("Request opened"),
    "request.sharing_narrowed": _l("Requester took back some of what may be shared"),
    "request.risk_corrected": _l("Risk answers added to or corrected"),
    "request.transition": _l("Request state changed"),
    "request.message": _l("Message sent"),
    "request.note": _l("Internal note added"),
    "request.offered": _l("Request offered to organizations"),
    "offer.accepted": _l("Offer accepted by an organization"),
    "offer.declined": _l("Offer declined by an organization"),
    "offer.viewed": _l("Offer opened by an organization member"),
    "offer.progress": _l("Progress update from an organization"),
    "offer.message": _l("Message from an organization to the requester"),
    "audit.viewed": _l("Audit trail opened"),
    "audit.exported": _l("Audit trail exported as CSV"),
    "organization.created": _l("Organization added"),
    "organization.updated": _l("Organization changed"),
    "organization.archived": _l("Organization archived"),
    "organization.restored": _l("Organization restored"),
    "account.moved": _l("Member moved to another organization"),
    "offer.expired": _l("Offers expired without an answer"),
    "request.overdue": _l("Request overdue: reviewers notified"),
    "request.escalated": _l("Request still overdue: administrators notified"),
    "notice.failed": _l("Notification could not be sent"),
    "notice.retried": _l("Notification sent again"),
    "job.failed": _l("Background job failed"),
    "account.settings_changed": _l("Language or notification settings changed"),
    "check_in.rhythm_set": _l("Check-in rhythm set by the organization"),
    "check_in.recorded": _l("Check-in recorded by the organization"),
    "check_in.incident": _l("Incident reported at a check-in: reviewers notified"),
    "check_in.missed": _l("Check-in missed: reviewers notified"),
    "request.attention_handled": _l("Check-in alert handled by a reviewer"),
    "keys.granted": _l("Access to a group's key given"),
    "keys.claimed": _l("Group's key received at sign-in"),
    "keys.escrow_granted": _l("Group's key given with the escrow key"),
    "keys.rotated": _l("Group's key replaced after a member left"),
}

# --- notifications: what someone may be told, and how soon -----------------------------------

# Every kind of notice, with what the settings page calls it. The notice itself
# never says which kind it is (see portal.notices).
NOTICE_KINDS = {
    "new_emergency": _l("A new emergency request"),
    "new_request": _l("A new request that is not an emergency"),
    "requester_answer": _l("A requester wrote (an answer or new information)"),
    "offers_ended": _l("Every organization declined an offer, or nobody answered in time"),
    "progress": _l("An organization reported progress or completed its work"),
    "overdue": _l("A request is past its response time"),
    "escalated": _l("A request is still past its response time after reviewers were told"),
    "job_failed": _l("A notification or a background job keeps failing"),
    "sign_in_blocked": _l("A sign-in was stopped after too many wrong codes"),
    "new_offer": _l("A new offer for your organization"),
    "offer_expiring": _l("An offer to your organization is about to expire"),
    "requester_message": _l("The requester of a request your organization took on wrote to you"),
    "check_in_missed": _l("An organization missed a check-in"),
    "check_in_incident": _l("An organization reported an incident at a check-in"),
}
# Which kinds each role may hear of.
REVIEWER_NOTICES = (
    "new_emergency",
    "new_request",
    "requester_answer",
    "offers_ended",
    "progress",
    "overdue",
    "check_in_missed",
    "check_in_incident",
)
NOTICES_BY_ROLE = {
    ADMIN: (*REVIEWER_NOTICES, "escalated", "job_failed", "sign_in_blocked"),
    REVIEWER: REVIEWER_NOTICES,
    ORG_MEMBER: ("new_offer", "offer_expiring", "requester_message"),
}
# The one kind a requester hears of (when they asked to): there is news on their request.
REQUESTER_NEWS = "requester_news"
IMMEDIATELY, IN_DIGEST, NEVER = "now", "digest", "never"
NOTICE_TIMING_LABELS = {
    IMMEDIATELY: _l("Immediately"),
    IN_DIGEST: _l("In the daily digest"),
    NEVER: _l("Never"),
}
NOTICE_TIMINGS = tuple(NOTICE_TIMING_LABELS)
# What someone hears until they choose: whatever has a clock running (emergencies,
# offers, deadlines, failures) at once; the rest once a day.
DEFAULT_TIMING = {
    kind: IN_DIGEST if kind in ("new_request", "requester_answer", "progress") else IMMEDIATELY
    for kind in NOTICE_KINDS
}


def template_labels() -> dict:
    """The label tables every template may use, by the names templates know them by."""
    return {
        "service_labels": SERVICE_LABELS,
        "service_hints": SERVICE_HINTS,
        "urgency_labels": URGENCY_LABELS,
        "kind_labels": REQUESTER_KIND_LABELS,
        "channel_labels": CHANNEL_LABELS,
        "threat_labels": THREAT_LABELS,
        "threat_source_labels": THREAT_SOURCE_LABELS,
        "at_risk_labels": AT_RISK_LABELS,
        "words_labels": WORDS_LABELS,
        "on_behalf_labels": ON_BEHALF_LABELS,
        "staff_labels": STAFF_LABELS,
        "public_labels": PUBLIC_LABELS,
        "public_explanations": PUBLIC_EXPLANATIONS,
        "rejection_reasons": REJECTION_REASONS,
        "actor_labels": ACTOR_LABELS,
        "offer_labels": OFFER_LABELS,
        "role_labels": ROLE_LABELS,
        "role_in_sentence": ROLE_IN_SENTENCE,
        "action_labels": AUDIT_ACTIONS,
        "notice_kinds": NOTICE_KINDS,
        "evaluation_answers": EVALUATION_ANSWERS,
        "notice_timing_labels": NOTICE_TIMING_LABELS,
        "check_in_labels": CHECK_IN_LABELS,
        "check_in_rhythm_labels": CHECK_IN_RHYTHM_LABELS,
        "attention_labels": ATTENTION_LABELS,
    }
