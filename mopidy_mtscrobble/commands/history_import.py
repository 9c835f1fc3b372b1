"""What `import-history` says of its import (the command is `imports`'s)."""

from __future__ import annotations

from ..store import Job


def history_progress(job: Job | None) -> str:
    """A line saying how far an import of past scrobbles got."""
    if job is None:
        return "Waiting for the import to start..."
    added, skipped = job.matched or 0, job.unmatched or 0
    if job.state == "running":
        if job.pages is None:
            return "Importing past scrobbles: starting..."
        return (
            f"Importing past scrobbles: page {job.page} of {job.pages} "
            f"({job.fetched} of {job.total} scrobbles; {added} added)"
        )
    if job.state == "failed":
        return (
            f"Importing past scrobbles failed: {job.error} ({added} added so far; "
            "run 'mopidy mtscrobble import-history' again to go on)"
        )
    return (
        f"Imported {job.fetched} past scrobbles: {added} added to the listening "
        f"history, {skipped} were there already."
    )
