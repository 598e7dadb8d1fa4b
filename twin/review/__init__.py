"""The review page of a report folder: ``review.html`` (self-contained, opens offline) and ``review.md``."""

from twin.review.page import write_review

__all__ = ["write_review"]
