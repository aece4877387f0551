"""Domain errors raised by services and mapped to HTTP by the views."""


class ServiceError(Exception):
    """Base class of all domain errors."""

    def __init__(self, message: str = "", *, fields: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFoundError(ServiceError):
    """The thing asked for does not exist."""


class ValidationError(ServiceError):
    """Input breaks a rule; fields maps field names to messages."""


class ConflictError(ServiceError):
    """The object changed since the caller read it, or the change clashes with another."""


class LikelyDuplicateError(ConflictError):
    """The new profile looks like people already in the CRM; matches lists them as
    (profile, matching.Decision), best first."""

    def __init__(self, message: str, matches: list, *, fields: dict | None = None) -> None:
        super().__init__(message, fields=fields)
        self.matches = matches

    def look_alikes(self) -> list[dict]:
        """The matches as plain data holding no personal data: each profile's id, and the
        scorer's score and reasons (as the review queue shows them), best first."""
        return [
            {"profile_id": profile.id, "score": decision.score, "reasons": list(decision.reasons)}
            for profile, decision in self.matches
        ]


class AuthError(ServiceError):
    """Credentials are wrong, expired or revoked."""


class PermissionDeniedError(ServiceError):
    """The actor may not do this."""
