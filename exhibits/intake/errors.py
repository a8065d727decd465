"""The one error type of intake: a stable code and a message a curator can act on."""


class IntakeError(ValueError):
    """Bad input: `code` is stable for tests and clients, `str(error)` is the message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
