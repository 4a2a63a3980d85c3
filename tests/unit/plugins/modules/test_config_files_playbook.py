"""wcs_config and red5pro_streammanager_config as ansible-playbook runs them (localhost, temp trees)."""
import shutil
from pathlib import Path

import pytest
from lib.harness import tree_snapshot as snapshot

TREES = Path(__file__).resolve().parents[3] / "standins" / "trees"
SM_FILE = Path("webapps") / "streammanager" / "WEB-INF" / "red5-web.properties"


@pytest.fixture
def trees(tmp_path):
    dest = tmp_path / "trees"
    shutil.copytree(TREES / "wcs", dest / "wcs")
    shutil.copytree(TREES / "red5pro_streammanager", dest / "red5pro")
    return dest


def test_wcs_edge_check_diff_then_apply_then_idempotent(playbook, trees):
    home = trees / "wcs"
    task = {
        "name": "Configure the WCS edge",
        "streamfleet.cluster.wcs_config": {
            "home": str(home),
            "cdn_enabled": True,
            "cdn_role": "edge",
            "cdn_ip": "10.0.1.7",
            "cdn_point_of_entry": "10.0.0.5",
            "keep_alive_enabled": ["websocket", "rtmfp"],
            "periodic_fir_request": True,
            "heap_size": "2g",
            "heap_initial_size": "1g",
        },
    }
    before = snapshot(home)
    checked = playbook.run([task], check=True, diff=True)[0]
    assert checked["changed"] is True
    assert snapshot(home) == before
    props_diff = checked["diff"][0]
    # WCS ships no cdn_* key: the point of entry is added, not changed.
    assert "cdn_point_of_entry" not in props_diff["before"]
    assert "\ncdn_point_of_entry =10.0.0.5\n" in props_diff["after"]

    applied = playbook.run([task], diff=True)[0]
    assert applied["changed"] is True and applied["restart_required"] is True
    assert applied["changed_keys"] == checked["changed_keys"]
    text = (home / "conf" / "flashphoner.properties").read_text()
    for key in ("cdn_enabled", "cdn_role", "cdn_ip", "cdn_point_of_entry", "keep_alive.enabled", "periodic_fir_request"):
        assert text.count("\n%s =" % key) == 1, key
    assert "\ncdn_role =edge\n" in text
    jvm = (home / "conf" / "wcs-core.properties").read_text()
    shipped_jvm = before["conf/wcs-core.properties"].decode()
    # -Xmx replaced where the shipped one stood, -Xms on the next line, nothing else moved.
    assert jvm == shipped_jvm.replace("\n-Xmx1024M\n", "\n-Xmx2g\n-Xms1g\n")

    again = playbook.run([task], diff=True)
    assert again[0]["changed"] is False
    assert playbook.stats.get("changed", 0) == 0


def test_wcs_refuses_an_origin_pointing_at_itself(playbook, trees):
    home = trees / "wcs"
    before = snapshot(home)
    results = playbook.run([{
        "name": "Broken origin",
        "streamfleet.cluster.wcs_config": {
            "home": str(home), "cdn_enabled": True, "cdn_role": "origin",
            "cdn_ip": "10.0.0.5", "cdn_point_of_entry": "10.0.0.5",
        },
    }], expect_failure=True)
    assert results[0]["failed"] is True
    assert "own address" in results[0]["msg"]
    assert snapshot(home) == before


def test_streammanager_secrets_never_printed(playbook, trees):
    home = trees / "red5pro"
    secrets = {"db_password": "Pb-Db-Secret-987", "cluster_password": "Pb-Cluster-654",
               "administrator_token": "Pb-Admin-321", "aws_secret_key": "Pb/Aws+Secret/000"}
    task = {
        "name": "Configure the Stream Manager",
        "streamfleet.cluster.red5pro_streammanager_config": dict(
            {"home": str(home), "streammanager_ip": "10.0.0.10", "db_host": "db.internal",
             "proxy_enabled": True}, **secrets),
    }
    before = snapshot(home)
    checked = playbook.run([task], check=True, diff=True)[0]
    check_output = playbook.last_output
    assert checked["changed"] is True and snapshot(home) == before
    applied = playbook.run([task], diff=True)[0]
    apply_output = playbook.last_output
    assert applied["changed"] is True
    again = playbook.run([task], diff=True)[0]
    assert again["changed"] is False
    for output in (check_output, apply_output, playbook.last_output):
        for value in list(secrets.values()) + ["changeme"]:
            assert value not in output
    assert "config.dbPass=******** (changed)" in check_output
    assert "Pb-Db-Secret-987" in (home / SM_FILE).read_text()
