"""How an operator says that a job failed, and whether trying again may help."""


class TransientFailure(Exception):
    """Worth retrying later: a server down or slow, a timeout, a 4xx SMTP reply."""


class PermanentFailure(Exception):
    """Retrying will not help (bad data, a 5xx reply): an incident for an administrator."""
