"""What Heed's HTTP APIs share: errors as `{"error": …}` and the bearer-token check.

A validation error names the field and the reason, never the value given (it may be an email, a
phone or a token); an API that is not configured answers 503, an unknown token 401."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

T_co = TypeVar("T_co", covariant=True)


class TokenBook(Protocol[T_co]):
    def __bool__(self) -> bool: ...

    def find(self, presented: str) -> T_co | None: ...


def json_errors(app: FastAPI) -> None:
    """Answer HTTP and validation errors as `{"error": "…"}`."""

    async def http_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    async def bad_input(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"error": "; ".join(problems)}, status_code=422)

    app.add_exception_handler(HTTPException, http_problem)
    app.add_exception_handler(RequestValidationError, bad_input)


def bearer_caller(tokens: Callable[[], TokenBook[T_co]], off: str) -> Callable[..., Awaitable[T_co]]:
    """A dependency giving what the presented bearer token stands for: 503 with `off` when no token is
    configured, 401 for a missing or unknown token."""
    bearer = HTTPBearer(auto_error=False)

    async def caller(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> T_co:
        known = tokens()
        if not known:
            raise HTTPException(503, off)
        found = known.find(credentials.credentials) if credentials is not None else None
        if found is None:
            raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})
        return found

    return caller
