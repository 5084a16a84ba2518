"""Demo data for trying the product locally: `manage.py seed_demo` (what `make run` seeds).

A small organisation (IT Support, Billing, HR; admin, agents, requesters) and ~200 tickets with two months of
believable history, written through the services of the apps below: `seeding` (the entry point), `people`
(departments and accounts), `stories` and `topics`/`phrases` (the tickets and their conversations).
It is the top layer: it may use every other app and none uses it.
"""
