"""Unit tests for the image comparison of aws_deployment_info's status view (deployment.py)."""
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import deployment


def image(image_id, created, family=None, owner_deployment=None):
    tags = {}
    if family:
        tags['streamfleet:role'] = family
    if owner_deployment:
        tags['streamfleet:deployment'] = owner_deployment
    return dict(id=image_id, name=image_id, creation_date=created, tags=tags)


def test_newest_image_per_family_of_each_deployment():
    images = [
        image('ami-old', '2026-12-01T10:00:00.000Z', 'antmedia', 'images'),
        image('ami-new', '2026-12-06T10:00:00.000Z', 'antmedia', 'images'),
        # the same family baked for another deployment is not a newer image of this one
        image('ami-staging', '2026-12-07T10:00:00.000Z', 'antmedia', 'staging'),
        image('ami-wcs', '2026-12-02T10:00:00.000Z', 'wcs', 'images'),
        image('ami-untagged', '2026-12-07T11:00:00.000Z'),
        image('ami-no-date', None, 'wcs', 'images'),
    ]
    newest = deployment.newest_images(images)
    assert {key: value['id'] for key, value in newest.items()} == {
        ('images', 'antmedia'): 'ami-new',
        ('staging', 'antmedia'): 'ami-staging',
        ('images', 'wcs'): 'ami-wcs',
    }


def test_family_key_needs_a_family():
    assert deployment.image_family_key(image('ami-1', 'x')) is None
    assert deployment.image_family_key({}) is None
    assert deployment.image_family_key(image('ami-1', 'x', 'wcs')) == (None, 'wcs')
