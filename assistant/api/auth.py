"""Staff authentication for the API (kept for its importers): the dependencies live in assistant/api/roles.py.

A staff member logs in with POST /v1/staff/login and sends ``Authorization: Bearer <token>``. The app keeps
a getter of the service in ``app.state.service``. A missing, wrong or expired token is a 401, a valid token
whose account lacks the route's role a 403; messages follow the request's language, like every other error.
"""

from __future__ import annotations

from assistant.api.roles import bearer, require_account, require_evaluator, require_role, require_staff

__all__ = ["bearer", "require_account", "require_evaluator", "require_role", "require_staff"]
