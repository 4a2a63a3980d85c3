"""moto_server for the benchmark, with two emulator fixes applied to both sides alike.

Both concern the Classic Load Balancer, where moto 5.2 differs from AWS in ways that stop
amazon.aws.elb_classic_lb (the WCS CDN reference) from creating a balancer at all:

- DescribeLoadBalancerAttributes, DescribeLoadBalancerPolicies and DescribeInstanceHealth of a
  balancer that does not exist answer HTTP 500 (AttributeError on None) instead of AWS's 400
  LoadBalancerNotFound; elb_classic_lb describes the attributes before it creates a balancer;
- a new balancer has no HealthCheck in DescribeLoadBalancers until one is configured, where AWS
  gives every balancer its default check (TCP to the first listener's instance port, interval
  30 s, timeout 5 s, healthy 10, unhealthy 2); elb_classic_lb reads it (KeyError otherwise).

This wrapper makes moto answer as AWS does and otherwise runs moto's own server.

    python benchmarks/moto_server.py -H 127.0.0.1 -p PORT
"""
import functools

from moto.elb import exceptions as elb_exceptions
from moto.elb import models as elb_models
from moto.elb import responses as elb_responses
from moto.server import main


def _not_found_first(method):
    @functools.wraps(method)
    def wrapper(self):
        name = self._get_param("LoadBalancerName")
        if name and self.elb_backend.get_load_balancer(name) is None:
            raise elb_exceptions.LoadBalancerNotFoundError(name)
        return method(self)
    return wrapper


def _default_health_check(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        balancer = method(self, *args, **kwargs)
        if balancer.health_check is None and balancer.listeners:
            balancer.health_check = elb_models.FakeHealthCheck(
                timeout="5", healthy_threshold="10", unhealthy_threshold="2", interval="30",
                target="TCP:%s" % balancer.listeners[0].instance_port)
        return balancer
    return wrapper


FIXED = ("describe_load_balancer_attributes", "describe_load_balancer_policies", "describe_instance_health")


def apply_fixes(setter=setattr):
    """Apply both fixes (``setter`` lets a test undo them, e.g. pytest's monkeypatch.setattr)."""
    for name in FIXED:
        setter(elb_responses.ELBResponse, name, _not_found_first(getattr(elb_responses.ELBResponse, name)))
    setter(elb_models.ELBBackend, "create_load_balancer",
           _default_health_check(elb_models.ELBBackend.create_load_balancer))


if __name__ == "__main__":
    apply_fixes()
    main()
