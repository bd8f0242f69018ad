"""One shape for every benchmark's results, so `make bench` prints them as one report.

Each benchmark module has `run(workdir: Path) -> list[Section]`; benchmarks/run.py calls
them in turn, prints each section as a Markdown table and, with --write, keeps the
report in benchmarks/RESULTS.md with the machine it ran on.
"""

from dataclasses import dataclass, field


@dataclass
class Section:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"## {self.title}", ""]
        lines.append("| " + " | ".join(self.headers) + " |")
        lines.append("|" + "|".join("---" for _ in self.headers) + "|")
        for row in self.rows:
            lines.append("| " + " | ".join(_cell(value) for value in row) + " |")
        lines.extend(["", *(f"- {note}" for note in self.notes)] if self.notes else [])
        return "\n".join(lines) + "\n"


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)
