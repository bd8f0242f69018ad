"""Matching, rule by rule: which organizations a request can go to, in which order, and why."""

import dataclasses

import pytest

from portal import intake, review, vocabulary, workflow
from portal.matching import ELSEWHERE, SAME_COUNTRY, SAME_REGION, Candidate, Need, rank

from portal_testing import PASSWORD_ALONE, add_organization, request_fields

NEED = Need(
    service="accompaniment",
    country="CO",
    region="latin_america_caribbean",
    languages=frozenset({"es"}),
)


def org(
    id,
    name=None,
    services=("accompaniment",),
    countries=(),
    regions=(),
    languages=("es",),
    capacity=3,
    active=0,
):
    return Candidate(
        id=id,
        key=f"org-{id}",
        name=name or f"Org {id}",
        services=frozenset(services),
        countries=frozenset(countries),
        regions=frozenset(regions),
        languages=frozenset(languages),
        capacity=capacity,
        active=active,
    )


def names(matches):
    return [m.candidate.name for m in matches]


def test_an_organization_without_the_service_is_left_out():
    visits_only = org(1, services=("solidarity", "monitoring"), countries=("CO",))
    accompanies = org(2, countries=("PE",))
    assert names(rank(NEED, [visits_only, accompanies])) == ["Org 2"]


def test_same_country_ranks_above_same_region_above_elsewhere():
    elsewhere = org(1, "Elsewhere", countries=("KE",), regions=("africa",))
    region = org(2, "Region", countries=("PE",), regions=("latin_america_caribbean",))
    country = org(3, "Country", countries=("CO",))
    ranked = rank(NEED, [elsewhere, region, country])
    assert names(ranked) == ["Country", "Region", "Elsewhere"]
    assert [m.where for m in ranked] == [SAME_COUNTRY, SAME_REGION, ELSEWHERE]


def test_geography_outweighs_language_and_capacity():
    region_ideal = org(1, "Region", regions=("latin_america_caribbean",), capacity=10)
    country_poor = org(2, "Country", countries=("CO",), languages=("en",), capacity=1, active=1)
    assert names(rank(NEED, [region_ideal, country_poor])) == ["Country", "Region"]


def test_a_shared_language_ranks_higher_among_equals():
    english = org(1, "A English", countries=("CO",), languages=("en",))
    spanish = org(2, "B Spanish", countries=("CO",), languages=("es", "en"))
    ranked = rank(NEED, [english, spanish])
    assert names(ranked) == ["B Spanish", "A English"]
    assert ranked[0].shared_languages == ("es",) and ranked[1].shared_languages == ()


def test_spare_capacity_ranks_higher_then_more_spare_first():
    full = org(1, "A Full", countries=("CO",), capacity=2, active=2)
    some = org(2, "B Some", countries=("CO",), capacity=3, active=2)
    lots = org(3, "C Lots", countries=("CO",), capacity=8, active=1)
    assert names(rank(NEED, [full, some, lots])) == ["C Lots", "B Some", "A Full"]


def test_equals_are_ordered_by_name():
    assert names(
        rank(NEED, [org(1, "beta", countries=("CO",)), org(2, "Alpha", countries=("CO",))])
    ) == [
        "Alpha",
        "beta",
    ]


def test_organizations_that_declined_are_left_out():
    first, second = org(1, countries=("CO",)), org(2, countries=("CO",))
    assert names(rank(NEED, [first, second], declined={1})) == ["Org 2"]


@pytest.mark.parametrize(
    ("candidate", "where", "languages", "capacity"),
    [
        (org(1, countries=("CO",), capacity=5, active=2), "Same country", ["es"], "3 of 5 free"),
        (
            org(2, regions=("africa",), languages=("fr",), capacity=1, active=4),
            "Elsewhere",
            [],
            "Full: 4 taken, room for 1",
        ),
    ],
)
def test_each_match_says_why_in_a_few_words(app, candidate, where, languages, capacity):
    with app.test_request_context():
        (match,) = rank(NEED, [candidate])
        assert str(match.where_words) == where
        assert list(match.shared_languages) == languages
        assert str(match.capacity_words) == capacity


def test_the_reviewer_sees_the_ranked_organizations_with_reasons(app):
    with app.test_request_context():
        request = intake.submit(request_fields(), "en").request  # accompaniment in Colombia
        add_organization(
            "far", name="Far Away", countries="KE", regions="africa", languages="en", capacity=2
        )
        add_organization("near", name="Nearby", capacity=2)
        add_organization("visits", name="Visits Only", services="solidarity", capacity=2)
        assert review.matches_for(request) == []  # not yet in review
        workflow.transition(request, vocabulary.IN_REVIEW, "staff")
        ranked = review.matches_for(request)
        assert [m.candidate.name for m in ranked] == ["Nearby", "Far Away"]


# --- what the risk picture calls for ----------------------------------------------------------

HARASSED = Need(
    service="accompaniment",
    country="CO",
    region="latin_america_caribbean",
    languages=frozenset({"es"}),
    threats=frozenset({"legal_harassment", "surveillance"}),
)
OBSERVES = "Legal harassment reported: also observes trials and hearings"


def test_legal_harassment_favours_organizations_that_also_observe_trials_and_says_so():
    roomy = org(1, "A Roomy", countries=("CO",), capacity=9)
    observer = org(2, "B Observer", countries=("CO",), services=("accompaniment", "monitoring"))

    assert names(rank(NEED, [roomy, observer])) == ["A Roomy", "B Observer"]  # no risk answers
    ranked = rank(HARASSED, [roomy, observer])
    assert names(ranked) == ["B Observer", "A Roomy"]
    assert [str(reason) for reason in ranked[0].risk_reasons] == [OBSERVES]
    assert ranked[1].risk_reasons == ()


def test_a_shared_language_outweighs_what_the_risk_picture_calls_for():
    speaks = org(1, "A Speaks", countries=("CO",))
    observes = org(
        2,
        "B Observes",
        countries=("CO",),
        languages=("en",),
        services=("accompaniment", "monitoring"),
    )
    assert names(rank(HARASSED, [observes, speaks])) == ["A Speaks", "B Observes"]


def test_nothing_is_called_for_that_the_request_already_asks():
    monitoring = dataclasses.replace(HARASSED, service="monitoring")
    observer = org(2, "Observer", countries=("CO",), services=("accompaniment", "monitoring"))
    assert rank(monitoring, [observer])[0].risk_reasons == ()


@pytest.mark.app_config(**PASSWORD_ALONE)
def test_the_reviewer_sees_why_the_risk_answers_favour_an_organization(app):
    from portal.risk import RiskPicture

    from portal_testing.staff import StaffClient

    reviewer = StaffClient.create(app, "reviewer")
    with app.test_request_context():
        picture = RiskPicture(threats=["legal_harassment"])
        request = intake.submit(request_fields(risk=picture), "en").request
        add_organization("roomy", name="Roomy", capacity=9)
        add_organization("observer", name="Observer", services="accompaniment,monitoring")
        workflow.transition(request, vocabulary.IN_REVIEW, "staff")
        reference = request.reference

    page = reviewer.text(f"/review/{reference}")

    matches = page[page.index('id="matches-heading"') :]
    assert matches.index("Observer") < matches.index("Roomy")
    assert OBSERVES in matches
