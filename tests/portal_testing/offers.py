"""What the organization members' tests (tests/offers/) share: a request offered to two
organizations, with everyone in the story signed in."""

from portal import intake, offers, vocabulary, workflow
from portal.models import CheckIn, Offer, ProgressUpdate, Request

from .organizations import add_organization
from .requesters import Requester
from .staff import StaffClient, create_staff_account

SUMMARY = "A community leader threatened; accompaniment to court hearings is asked."

# What only the accepting organization may read: the requester's own words.
NAME = "Marisol Quintero Ruiz"
REQUESTER_ORG = "Colectivo Raíz del Norte"
CONTACT = "+57 300 555 0199"
SITUATION = "Two men followed Marisol home from the Toribío crossing on 3 March."
ASKED_FOR = "Someone beside her at the hearings in Popayán on 12 May."
SECRETS = (NAME, REQUESTER_ORG, CONTACT, SITUATION, ASKED_FOR)
REQUESTER = {
    "requester_kind": "organization",
    "name": NAME,
    "organization": REQUESTER_ORG,
    "place": "Santander de Quilichao",
    "situation": SITUATION,
    "asked_for": ASKED_FOR,
    "people_count": "4",
    "languages": ["es", "en"],
    "contact_channel": "signal",
    "contact_detail": CONTACT,
    "contact_safe": "yes",
}
ORGANIZATIONS = {"brigadas": "Brigadas del Macizo", "tejido": "Tejido Solidario Andino"}

TAKEN = "Another organization accepted this request a moment before you."
CLOSED_NOTICE = "Another organization accepted this request. Nothing more is needed"
CHANGED = "This request was changed by someone else while you were looking at it."
NOT_ENGAGED = "Your organization is no longer working on this request: nothing was changed."
NO_REASON = "Please say why your organization cannot take it."
NO_UPDATE = "Please write the update before sending."
NO_ORGANIZATION = "Your account is not linked to an organization yet."


# What a member writes when accepting: how and roughly when the organization makes contact.
CONTACT_PLAN = {
    "accept-contact_plan": "By phone within two days, from a number ending 4471.",
    "accept-confirm": "y",
}


# A closing report, as the completion form sends it and as offers.complete() takes it.
CLOSING_REPORT = {
    "days": "12",
    "visits": "3",
    "outcome": "The hearings went ahead.",
    "follow_up": "no",
}
CLOSING = offers.Closing(outcome="The hearings went ahead.", follow_up=False, days=12, visits=3)


# What the "under way" form sends besides its tick: no regular check-in rhythm, so that the
# clock's sweeps find no check-in due unless a test sets one.
START = {"rhythm": "none"}


def offer_url(handle, action=""):
    return f"/org/offers/{handle}" + (f"/{action}" if action else "")


def every_post(handle, version="1"):
    """Each button of an offer page, with what its form sends."""
    return [
        (offer_url(handle, "accept"), CONTACT_PLAN),
        (offer_url(handle, "decline"), {"decline-reason": "Not this time."}),
        (offer_url(handle, "start"), {"version": version, "confirm": "y", **START}),
        (offer_url(handle, "complete"), {"version": version, "confirm": "y", **CLOSING_REPORT}),
        (offer_url(handle, "update"), {"update-body": "We met the requester today."}),
        (offer_url(handle, "check-in"), {"check_in-status": "incident", "check_in-note": "A car."}),
        (offer_url(handle, "rhythm"), {"rhythm-rhythm": "24"}),
    ]


class Case:
    """A request sent through the form, approved and offered to two organizations.

    Each organization has a member signed in; a reviewer is signed in too, and
    the requester follows the request with the tracking code.
    """

    def __init__(self, app, *, organizations=None, needed=1, **answers):
        """`answers`: form fields to send instead of REQUESTER's (what may be shared);
        `organizations` (key -> name) instead of ORGANIZATIONS, `needed` of which must accept."""
        self.app = app
        self.requester = Requester(app.test_client())
        self.code = self.requester.submit_and_get_code(**{**REQUESTER, **answers})
        with app.app_context():
            reviewer = create_staff_account("reviewer@network.test", "reviewer")
            request = intake.open_with_code(self.code)
            workflow.transition(request, vocabulary.IN_REVIEW, "staff", user=reviewer)
            workflow.transition(request, vocabulary.APPROVED, "staff", user=reviewer)
            self.orgs = {
                key: add_organization(key, name=name)
                for key, name in (organizations or ORGANIZATIONS).items()
            }
            # Members from before the offer: the first of them takes the organization's key
            # at sign-in (portal.keychain.signed_in); a later one waits to be given it.
            users = {
                key: create_staff_account(f"member@{key}.test", "org_member", organization=org)
                for key, org in self.orgs.items()
            }
            made = offers.offer(
                request,
                list(self.orgs.values()),
                reviewer,
                expected_version=request.version,
                summary=SUMMARY,
                needed=needed,
            )
            self.handle = {o.organization.key: o.handle for o in made}
            self.reference = request.reference
        self.members = {key: StaffClient(app, user) for key, user in users.items()}
        self.reviewer = StaffClient(app, reviewer)

    def request(self):
        with self.app.app_context():
            return Request.get(Request.reference == self.reference)

    def offer(self, key):
        with self.app.app_context():
            return Offer.get(Offer.handle == self.handle[key])

    def snapshot(self):
        """Everything an answer could change, to show that nothing did."""
        with self.app.app_context():
            request = Request.get(Request.reference == self.reference)
            return {
                "request": (request.state, request.version, request.timeline().count()),
                "offers": sorted(
                    (o.organization.key, o.state, o.reason_sealed, o.decided_at)
                    for o in request.offers
                ),
                "updates": ProgressUpdate.select().count(),
                "check_ins": CheckIn.select().count(),
                "attention": request.attention,
                "rhythms": sorted(
                    (o.uid, o.check_in_hours, o.check_in_due_at) for o in request.offers
                ),
            }

    def accept(self, key):
        response = self.members[key].post(offer_url(self.handle[key], "accept"), CONTACT_PLAN)
        assert response.status_code == 303
        return response

    def move(self, key, action):
        report = CLOSING_REPORT if action == "complete" else START
        response = self.members[key].post(
            offer_url(self.handle[key], action),
            {"version": str(self.request().version), "confirm": "y", **report},
        )
        assert response.status_code == 303
        return response

    def tracking_page(self):
        assert self.requester.open(self.code).status_code == 303
        return self.requester.tracking_page()


def shows_no_secret(page):
    return [secret for secret in SECRETS if secret in page]
