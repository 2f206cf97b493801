"""The small exception set every upstream client raises."""


class UpstreamError(Exception):
    """Base class: an upstream service could not be used."""


class CannotConnect(UpstreamError):
    """The service did not answer (refused, timed out, DNS, 5xx)."""


class ErrorStatus(CannotConnect):
    """The service answered, with an error status (4xx other than auth, 5xx)."""


class SslError(CannotConnect):
    """The TLS handshake failed (self-signed or expired certificate)."""


class InvalidAuth(UpstreamError):
    """The service rejected our credentials."""


class NotFound(UpstreamError):
    """The service answered 404: the resource (or, during setup, the app) is not there."""


class InvalidUrl(UpstreamError):
    """The URL is not an absolute http(s) URL with a host."""


class WrongService(UpstreamError):
    """Something answered, but not the service we expected."""


class InvalidPayload(ValueError):
    """A webhook body or API answer does not have the shape we need."""


# What a call to a service can fail with: no usable answer, or one we cannot read.
UNUSABLE_ANSWER = (UpstreamError, InvalidPayload)
