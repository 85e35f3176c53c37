"""Staff authentication for the API: ``require_staff`` is the FastAPI dependency of every staff route.

A staff member logs in with POST /v1/staff/login and sends ``Authorization: Bearer <token>``. The app keeps
a getter of the service in ``app.state.service``. A missing, wrong or expired token is a 401 whose message
follows the request's language, like every other error.
"""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.store.staff import AuthError, StaffUser

bearer = HTTPBearer(auto_error=False, description="The token from POST /v1/staff/login")


def require_staff(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> StaffUser:
    """The logged-in staff member, or a 401."""
    if creds is None or not creds.credentials:
        raise AuthError(
            "此功能仅限工作人员，请先登录（POST /v1/staff/login）。",
            "Staff only: log in first (POST /v1/staff/login) and send the token as a Bearer header.",
            field="authorization",
        )
    user = request.app.state.service().staff.user_for_token(creds.credentials)
    if user is None:
        raise AuthError(
            "登录令牌无效或已过期，请重新登录。",
            "The token is invalid or has expired; please log in again.",
            field="authorization",
        )
    return user
