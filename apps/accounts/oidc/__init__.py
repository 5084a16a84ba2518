"""Single sign-on with OpenID Connect (mozilla-django-oidc), off unless OIDC_ENABLED is set.

- `provider.py`: the provider's endpoints, from the settings or from the issuer's discovery document (fetched on
  first use, cached; never at import time).
- `claims.py`: what the claims mean here: the role (OIDC_ROLE_CLAIM + OIDC_ROLE_MAP) and the registry through
  which the apps above accounts apply their part (departments: OIDC_DEPARTMENT_CLAIM + OIDC_DEPARTMENT_MAP).
- `backend.py`: the authentication backend: links an account by verified e-mail only, creates accounts through
  the account services, applies the role on every sign-on through the same service as an admin's role change.
- `views.py`, `urls.py`: `/oidc/authenticate/` and `/oidc/callback/` (404 while off), with the log-in throttle of
  accounts/throttling.py and the landing page (back office for staff, portal for requesters, or a safe `next`).
- `checks.py`: `manage.py check` refuses an incomplete configuration while OIDC_ENABLED is on.
"""
