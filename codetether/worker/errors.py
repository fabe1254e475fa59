"""What the work queue refuses, each with the HTTP status its route answers."""

from ..errors import CodetetherError


class QueueError(CodetetherError):
    status = 400


class BadRequest(QueueError):
    status = 400


class Forbidden(QueueError):
    status = 403


class NotFound(QueueError):
    status = 404


class Conflict(QueueError):
    """Someone else holds the task (a lost claim race, an expired lease, a canceled task)."""

    status = 409
