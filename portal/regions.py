"""The network's six regions and which one each country belongs to.

CLDR gives country names but not the network's own regional split (which puts
North Africa with the Middle East and Central Asia with Europe), so the
assignment is kept here as data. Country names never come from this module:
see `portal.i18n.country_name`.
"""

from flask_babel import lazy_gettext as _l

REGIONS = {
    "africa": _l("Africa"),
    "asia_pacific": _l("Asia and the Pacific"),
    "europe_central_asia": _l("Europe and Central Asia"),
    "latin_america_caribbean": _l("Latin America and the Caribbean"),
    "mena": _l("Middle East and North Africa"),
    "north_america": _l("North America"),
}

# ISO 3166-1 alpha-2 codes by region. XK (Kosovo) is a user-assigned code, but
# defenders there need to be able to name their country.
_MEMBERS = {
    "africa": """
        AO BF BI BJ BW CD CF CG CI CM CV DJ ER ET GA GH GM GN GQ GW KE KM LR LS
        MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TF TG TZ
        UG YT ZA ZM ZW
    """,
    "asia_pacific": """
        AF AQ AS AU BD BN BT CC CK CN CX FJ FM GU HK HM ID IN IO JP KH KI KP KR
        LA LK MH MM MN MO MP MV MY NC NF NP NR NU NZ PF PG PH PK PN PW SB SG TH
        TK TL TO TV TW UM VN VU WF WS
    """,
    "europe_central_asia": """
        AD AL AM AT AX AZ BA BE BG BV BY CH CY CZ DE DK EE ES FI FO FR GB GE GG
        GI GR HR HU IE IM IS IT JE KG KZ LI LT LU LV MC MD ME MK MT NL NO PL PT
        RO RS RU SE SI SJ SK SM TJ TM TR UA UZ VA XK
    """,
    "latin_america_caribbean": """
        AG AI AR AW BB BL BO BQ BR BS BZ CL CO CR CU CW DM DO EC FK GD GF GP GS
        GT GY HN HT JM KN KY LC MF MQ MS MX NI PA PE PR PY SR SV SX TC TT UY VC
        VE VG VI
    """,
    "mena": """
        AE BH DZ EG EH IL IQ IR JO KW LB LY MA OM PS QA SA SY TN YE
    """,
    "north_america": """
        BM CA GL PM US
    """,
}

COUNTRY_REGION = {code: region for region, codes in _MEMBERS.items() for code in codes.split()}


def region_of(country_code: str) -> str | None:
    """The region key a country belongs to, or None for an unknown code."""
    return COUNTRY_REGION.get(country_code)
