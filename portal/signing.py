"""Signed values the portal hands to browsers, signed as Flask and flask-wtf sign them but
not compressed: the session cookie and the form token (CSRF). And the session's contents
written as Flask writes them, without Flask's tagging when there is nothing to tag.

itsdangerous compresses every payload with zlib, then keeps the result only if it is
shorter. What these two carry is random hex (a form token, a browser's id), which zlib never
shortens, and each attempt costs more than the signing itself (a new compressor for every
call): two of them were a fifth of the time of an answer to a browser without a session.
Values signed before, compressed or not, still load: loading reads the mark that says
whether a payload was compressed.
"""

import functools
import json
import secrets

from flask import current_app, g, session
from flask.json.tag import TaggedJSONSerializer
from flask_wtf.csrf import _FlaskFormCSRF
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.url_safe import URLSafeSerializerMixin

# flask-wtf's own names: its validate_csrf checks what form_token signs. FIELD (unless
# WTF_CSRF_FIELD_NAME says otherwise): the form field, and where the session keeps the
# token's random half.
FIELD = "csrf_token"
FORM_TOKEN_SALT = "wtf-csrf-token"  # noqa: S105 (a salt, public by design)


class Uncompressed(URLSafeTimedSerializer):
    def dump_payload(self, obj) -> bytes:
        # The JSON, skipping URLSafeSerializerMixin's attempt at compressing it.
        return base64_encode(super(URLSafeSerializerMixin, self).dump_payload(obj))


def form_token(secret_key=None, token_key=None) -> str:
    """flask_wtf.csrf.generate_csrf, with the uncompressed serializer: the signed token for
    this request (the same one for every call in it), its random half kept in the session."""
    config = current_app.config
    field_name = token_key or config.get("WTF_CSRF_FIELD_NAME", FIELD)
    if field_name in g:
        return g.get(field_name)
    raw = session.get(field_name)
    if not isinstance(raw, str):
        raw = session[field_name] = new_form_secret()
    token = signed_form_token(current_app, raw, secret_key)
    setattr(g, field_name, token)
    return token


def new_form_secret() -> str:
    """The random half of a form token, kept in the browser's session."""
    return secrets.token_hex(20)


def signed_form_token(app, raw: str, secret_key=None) -> str:
    """The form token a page carries for the session's random half `raw`."""
    secret = secret_key or app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    return _form_signer(secret).dumps(raw)


@functools.cache  # one per secret key: made anew for each token, it cost a token's time
def _form_signer(secret) -> Uncompressed:
    return Uncompressed(secret, salt=FORM_TOKEN_SALT)


class FormTokens(_FlaskFormCSRF):
    """What a form's hidden token field holds: form_token's."""

    def generate_csrf_token(self, csrf_token_field) -> str:
        return form_token(self.meta.csrf_secret, self.meta.csrf_field_name)


_PLAIN = (str, int, bool, type(None))


class SessionContents(TaggedJSONSerializer):
    """Flask's session serializer, quicker for what a session here mostly holds: text
    under plain names, which Flask's tags leave as it is (checking each value against
    every tag cost a new browser's answer more than signing it). Anything else (a flashed
    message, a name that is a tag's) goes through the tags as before."""

    def dumps(self, value) -> str:
        if isinstance(value, dict) and all(
            type(name) is str and name not in self.tags and type(item) in _PLAIN
            for name, item in value.items()
        ):
            # As Flask's default JSON provider writes it (sorted, ASCII, compact).
            return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=True)
        return super().dumps(value)
