"""Calls to web services outside Wharf, for mappers and actions.

Nothing is reachable unless the plugin's manifest allows it (``[[outbound.allow]]``) and the
operator's deployment does not narrow it away. Secrets never pass through the plugin: a
secret header names a secret of the host's configuration and the host writes its value::

    answer = outbound.post(
        "https://credit.partner.example/v2/credit-checks",
        json={"customer": "US-001", "amount": "1200.00"},
        secret_headers={"Authorization": ("credit_api_key", "Bearer ")},
    )
    if answer.ok:
        limit = answer.json()["limit"]
"""

import json as _json

from . import _wit
from .errors import PluginError

__all__ = ["Response", "OutboundError", "send", "get", "post"]


class OutboundError(PluginError):
    """Why a request got no answer: ``kind`` is ``denied``, ``timeout``, ``too-large``,
    ``budget-spent`` or ``failed``."""

    def __init__(self, kind, message):
        super().__init__(f"{kind}: {message}")
        #: What went wrong, as the WIT ``outbound-error`` case name.
        self.kind = kind


class Response:
    """The answer to a request, after any redirects the host followed."""

    def __init__(self, status, headers, body):
        #: The HTTP status.
        self.status = status
        #: ``(name, value)`` pairs, as the server sent them.
        self.headers = headers
        #: The body, ``bytes``.
        self.body = body

    @property
    def ok(self):
        """Whether the status is 2xx."""
        return 200 <= self.status < 300

    def header(self, name):
        """The first value of header ``name`` (any case), or ``None``."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def text(self):
        """The body as UTF-8 text; :class:`PluginError` when it is not."""
        try:
            return self.body.decode()
        except UnicodeDecodeError as error:
            raise PluginError(f"the answer is not UTF-8 text: {error}") from None

    def json(self):
        """The body parsed as JSON; :class:`PluginError` when it is not JSON."""
        try:
            return _json.loads(self.text())
        except ValueError as error:
            raise PluginError(f"the answer is not JSON: {error}") from None


def send(method, url, headers=None, secret_headers=None, body=b"", json=None):
    """Sends a request and waits for its answer; any status, 4xx and 5xx included, is an
    answer. Raises :class:`OutboundError` when there is none.

    ``headers`` maps names to values; ``secret_headers`` maps names to
    ``(secret name, prefix)``; ``json`` (any JSON value) replaces ``body`` and sets
    ``Content-Type``.
    """
    Err = _wit.err_type()
    wit = _wit.imports("outbound")
    headers = dict(headers or {})
    if json is not None:
        body = _json.dumps(json).encode()
        headers.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    request = wit.Request(
        method=method.upper(),
        url=url,
        headers=[wit.Header(name, value) for name, value in headers.items()],
        secret_headers=[
            wit.SecretHeader(name, secret, prefix) for name, (secret, prefix) in (secret_headers or {}).items()
        ],
        body=bytes(body),
    )
    try:
        answer = wit.send(request)
    except Err as failure:
        case = failure.value
        kind = type(case).__name__.split("_", 1)[-1]
        kind = "".join("-" + c.lower() if c.isupper() else c for c in kind).lstrip("-")
        raise OutboundError(kind, case.value) from None
    return Response(answer.status, [(h.name, h.value) for h in answer.headers], answer.body)


def get(url, **options):
    """Sends a ``GET``; see :func:`send`."""
    return send("GET", url, **options)


def post(url, **options):
    """Sends a ``POST``; see :func:`send`."""
    return send("POST", url, **options)
