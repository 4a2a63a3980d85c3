"""pytest run from the repository root: do not walk into the links back to the checkout.

collections/ansible_collections/streamfleet/cluster and playbooks/collections point back at the
repository itself (how a fresh clone finds the collection, docs/awx.md); following them would
never end. The tests live under tests/ (their fixtures: tests/conftest.py).
"""
collect_ignore = ["collections", "playbooks/collections"]
