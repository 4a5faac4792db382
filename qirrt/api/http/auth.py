"""Who is asking: a bearer token (``Authorization: Bearer qirrt_...``) or the login cookie the pages use.

The browser logs in once on /login with its token; the reply sets an HttpOnly, SameSite=Strict cookie
holding the token (Secure when served over TLS), so no token ever appears in a URL.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from qirrt.api.http.tokens import Principal

COOKIE = "qirrt_token"


def token_of(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" else None
    return request.cookies.get(COOKIE)


def principal(request: Request) -> Principal:
    """The dependency every API route takes: 401 without a valid token."""
    token = token_of(request)
    who = None if not token else request.app.state.tokens.check(token)
    if who is None:
        raise HTTPException(401, "missing or unknown bearer token; send 'Authorization: Bearer <token>' "
                                 "(make one with `qirrt keys generate --token --user NAME`)",
                            headers={"WWW-Authenticate": "Bearer"})
    return who


def page_principal(request: Request) -> Principal | None:
    """The pages' check: None sends the browser to the login page."""
    token = request.cookies.get(COOKIE)
    return None if not token else request.app.state.tokens.check(token)
