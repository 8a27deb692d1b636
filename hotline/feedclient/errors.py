"""What can go wrong, each with the exit code a cron job or a monitoring check can act on."""

from __future__ import annotations

EXIT_OK = 0
EXIT_USAGE = 2  # argparse's own
EXIT_REFUSED = 3  # a body that does not match its signed manifest: nothing applied
EXIT_KEY = 4  # 401 (wrong, revoked, expired key) or 403 (no licence for the list)
EXIT_RATE_LIMITED = 5  # 429: try again after Retry-After
EXIT_NETWORK = 6  # the hotline could not be reached, or answered 5xx
EXIT_LOCAL = 7  # key file, public key, state directory or an output file
EXIT_PROTOCOL = 8  # an answer the client cannot use (400, an unexpected status)


class FeedClientError(Exception):
    """A failure with a message for the person who runs the client and its exit code."""

    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.message = message


class Refused(FeedClientError):
    """A download that failed verification: the local copy is left as it was."""

    def __init__(self, message: str) -> None:
        super().__init__(EXIT_REFUSED, f"refused the download, nothing applied: {message}")
