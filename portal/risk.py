"""The risk picture a requester may give with a request: threats, who is behind them,
recent incidents, who else is at risk, support already sought, and whether the network
may inform authorities.

Every answer is optional. The picture is kept sealed as one value (Request.risk), since
each answer, and which were given, says something about the people at risk. Reviewers
read it at the top of the request page and may complete or correct it.
"""

import json
from dataclasses import asdict, dataclass, field, fields

from .vocabulary import AT_RISK, THREAT_SOURCES, THREATS

TEXT_LENGTH = 2_000


@dataclass
class RiskPicture:
    threats: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    incidents: str = ""
    at_risk: list[str] = field(default_factory=list)
    support_sought: str = ""
    # No unless the requester says yes: telling the authorities may itself put people at risk.
    inform_authorities: bool = False

    @property
    def is_empty(self) -> bool:
        return self == RiskPicture()

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    def stored(self) -> str | None:
        """What Request.risk keeps: nothing for a picture with no answer."""
        return None if self.is_empty else self.to_json()

    @classmethod
    def from_json(cls, text: str | None) -> "RiskPicture":
        """The picture kept in `text`; an empty one for none. Codes no longer known are
        dropped rather than shown as they are."""
        if not text:
            return cls()
        kept = json.loads(text)
        known = {f.name for f in fields(cls)}
        picture = cls(**{name: value for name, value in kept.items() if name in known})
        picture.threats = [code for code in picture.threats if code in THREATS]
        picture.sources = [code for code in picture.sources if code in THREAT_SOURCES]
        picture.at_risk = [code for code in picture.at_risk if code in AT_RISK]
        return picture

    @classmethod
    def from_answers(
        cls,
        threats=None,
        sources=None,
        incidents=None,
        at_risk=None,
        support_sought=None,
        inform_authorities=None,
    ) -> "RiskPicture":
        """A picture from a form's cleaned answers, in the vocabulary's order."""
        return cls(
            threats=[code for code in THREATS if code in (threats or ())],
            sources=[code for code in THREAT_SOURCES if code in (sources or ())],
            incidents=(incidents or "").strip(),
            at_risk=[code for code in AT_RISK if code in (at_risk or ())],
            support_sought=(support_sought or "").strip(),
            inform_authorities=inform_authorities == "yes",
        )
