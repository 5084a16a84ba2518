"""Back-office machinery every app's admin uses: forms whose save is a set of service calls (`forms`).

Who may open which page is a question of roles, which apps.accounts defines; the role mixins live in
apps/accounts/permissions.py, next to the one definition of "admin".
"""
