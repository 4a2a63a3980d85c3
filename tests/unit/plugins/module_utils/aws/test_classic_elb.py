"""Pure logic of module_utils/aws/classic_elb.py: validation, no AWS calls."""
import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import classic_elb
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.alb import BalancerError


def classic(**overrides):
    params = dict(
        name="edge", type="classic", state="present", subnets=["subnet-1"], target_groups=[],
        listeners=[dict(protocol="HTTP", load_balancer_port=8080, instance_port=8080)],
        health_check=dict(target="HTTP:8081/?action=stat", interval=30, timeout=5),
    )
    params.update(overrides)
    return params


def test_valid_classic_passes():
    classic_elb.validate(classic())


@pytest.mark.parametrize("mutate, message", [
    (lambda p: p["health_check"].update(target="8081/?action=stat"), "health_check.target"),
    (lambda p: p["health_check"].update(timeout=30), "shorter than"),
    (lambda p: p["listeners"][0].update(protocol="HTTPS"), "needs ssl_certificate_id"),
    (lambda p: p["listeners"][0].update(port=80), "only for type=application"),
    (lambda p: p.update(listeners=[]), "at least one listener"),
])
def test_classic_validation(mutate, message):
    params = classic()
    mutate(params)
    with pytest.raises(BalancerError, match=message):
        classic_elb.validate(params)
