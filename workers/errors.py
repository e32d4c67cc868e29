"""How an operator says that a job failed, and whether trying again may help."""


class TransientFailure(Exception):
    """Worth retrying later: a server down or slow, a timeout, a 4xx SMTP reply."""


class PermanentFailure(Exception):
    """Retrying will not help (bad data, a 5xx reply): an incident for an administrator."""


class HeldElsewhere(TransientFailure):
    """Another delivery of the same job holds it (its lease): wait, without spending an
    attempt, until the lease ends."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
