"""Problems found in a user's files, reported all at once as ``file:line: message``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file.

    ``line`` is 1-based; 0 means the problem concerns the file as a whole
    (for example a file that does not exist).
    """

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ProblemList(Exception):
    """Raised when input files are invalid; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class Collector:
    """Gathers problems from several checks so they can be raised together."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def extend(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    def absorb(self, error: ProblemList) -> None:
        self.problems.extend(error.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise ProblemList(self.problems)


class ClusterError(Exception):
    """The Dask cluster given with ``--scheduler`` cannot run the replications (its message says why and what to do)."""
