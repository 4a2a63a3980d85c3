"""moto_server for the benchmark, with one emulator fix applied to both sides alike.

moto 5.2 answers the Classic Load Balancer calls DescribeLoadBalancerAttributes,
DescribeLoadBalancerPolicies and DescribeInstanceHealth for a balancer that does not exist
with an HTTP 500 (AttributeError on None) instead of AWS's 400 LoadBalancerNotFound.
amazon.aws.elb_classic_lb describes the attributes before it creates a balancer and expects
LoadBalancerNotFound, so the reference could not create the WCS CDN's balancer on plain moto.
This wrapper answers those calls as AWS does and otherwise runs moto's own server.

    python benchmarks/moto_server.py -H 127.0.0.1 -p PORT
"""
import functools

from moto.elb import exceptions as elb_exceptions
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


FIXED = ("describe_load_balancer_attributes", "describe_load_balancer_policies", "describe_instance_health")


def apply_fixes(setter=setattr):
    """Wrap the calls above (``setter`` lets a test undo it, e.g. pytest's monkeypatch.setattr)."""
    for name in FIXED:
        setter(elb_responses.ELBResponse, name, _not_found_first(getattr(elb_responses.ELBResponse, name)))


if __name__ == "__main__":
    apply_fixes()
    main()
