"""Territory codes: ISO 3166-1 alpha-2 plus the group `EU`, and matching against license exclusions.

A company operating in `EU` operates in every member state, so a license excluding `FR` excludes it;
a license excluding `EU` excludes a company that lists `DE`. The United Kingdom (`GB`) left the EU
on 2020-01-31 and is not a member here.
"""

from __future__ import annotations

from collections.abc import Iterable


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ISO 3166-1 alpha-2 officially assigned codes, plus XK (Kosovo, user-assigned but used by the EU and
# most registries). Kept so a typo such as `UK` or `EN` is an error at its line, not a silent miss.
ISO_ALPHA2 = _codes(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW
    """
)

# The 27 member states since 2020-02-01 (Treaty on European Union art. 52), by ISO code; Greece is GR.
EU_MEMBERS = _codes("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK")

GROUPS = {"EU": EU_MEMBERS}

# Common non-ISO spellings people write, with the code they mean; used for hints and for license data.
ALIASES = {"UK": "GB", "EL": "GR"}


def check_code(code: str) -> str | None:
    """Why `code` is not a territory this tool knows, or None when it is fine."""
    if code in GROUPS or code in ISO_ALPHA2:
        return None
    if code in ALIASES:
        return f"{code!r} is not an ISO 3166-1 code; write {ALIASES[code]!r}"
    if code.upper() != code and (code.upper() in ISO_ALPHA2 or code.upper() in GROUPS):
        return f"write territory codes in capitals: {code.upper()!r}"
    return f"{code!r} is not an ISO 3166-1 alpha-2 code or a known group (EU)"


def expand(codes: Iterable[str]) -> frozenset[str]:
    """Member-state codes for a list that may contain groups; aliases (UK) are normalised."""
    out: set[str] = set()
    for raw in codes:
        code = raw.strip().upper()
        code = ALIASES.get(code, code)
        out |= GROUPS.get(code, {code})
    return frozenset(out)


def overlap(company: Iterable[str], excluded: Iterable[str]) -> tuple[str, ...]:
    """The company territories a license excludes, as the company wrote them, in its order.

    A company entry matches when any state it stands for is excluded, so `EU` matches an exclusion
    of `IE` and `FR` matches an exclusion of `EU`.
    """
    excluded_states = expand(excluded)
    return tuple(code for code in company if expand([code]) & excluded_states)
