"""The red5pro_nodegroup role on day 2 (issue 16): the node counts are the autoscaler's.

A re-run adds origins only to a group that has none; what the Stream Manager's autoscaler did
(more or fewer origins) stays. The simulator's state is changed in-process, as its autoscaler
would.
"""
from test_sm_role import ROLE, by_name, role_vars, token_env

GROUP = "Node group and its origins"


def _origins(sm, name="nodegroup-sandbox"):
    return [n for n in sm.sim.state.groups[name]["nodes"] if n["role"] == "origin"]


def test_rerun_leaves_the_autoscalers_node_counts(sm, playbook):
    env = token_env(sm)
    first = by_name(playbook.run(ROLE, play_vars=role_vars(sm, red5pro_nodegroup_origins=2), env=env))
    assert first[GROUP]["origins_added"] == 2
    assert len(_origins(sm)) == 2

    # The autoscaler scales the origins in to one: a re-run does not bring the second back.
    group = sm.sim.state.groups["nodegroup-sandbox"]
    group["nodes"].remove(_origins(sm)[-1])
    writes = len(sm.writes())
    again = by_name(playbook.run(ROLE, play_vars=role_vars(sm, red5pro_nodegroup_origins=2), env=env))
    assert playbook.stats["changed"] == 0, [t for t, r in again.items() if r.get("changed")]
    assert len(_origins(sm)) == 1
    assert len(sm.writes()) == writes

    # Asked for in the run: origins are added up to that count, and the plan says so first.
    plan = by_name(playbook.run(ROLE, check=True, play_vars=role_vars(sm, red5pro_nodegroup_origins_at_least=3), env=env))
    assert plan[GROUP]["changed"] is True and plan[GROUP]["origins_added"] == 2
    assert len(_origins(sm)) == 1
    added = by_name(playbook.run(ROLE, play_vars=role_vars(sm, red5pro_nodegroup_origins_at_least=3), env=env))
    assert added[GROUP]["origins_added"] == 2
    assert len(_origins(sm)) == 3

    # A group whose origins are all gone (say its creation was interrupted) gets its first again.
    for node in _origins(sm):
        group["nodes"].remove(node)
    restored = by_name(playbook.run(ROLE, play_vars=role_vars(sm), env=env))
    assert restored[GROUP]["origins_added"] == 1
