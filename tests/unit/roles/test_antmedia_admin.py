"""The antmedia role's first-administrator step against the stand-in console on 127.0.0.1.

The role's tasks (tasks_from: admin, as its service phase imports them) run with ansible-playbook:
the administrator is created once, a second run changes nothing, with verify_existing a panel
claimed by someone else fails the role, and the password never reaches the output.
"""
import pytest

from lib.antmedia_console import RunningConsole

PASSWORD = "Role-panel:pass&9"


@pytest.fixture
def console(tmp_path):
    running = RunningConsole(tmp_path / "console")
    yield running
    running.stop()


def admin_task(console, **extra):
    port = console.url.rsplit(":", 1)[1]
    role_vars = {"antmedia_http_port": int(port), "antmedia_admin_email": "admin@example.com",
                 "antmedia_admin_password": PASSWORD, "antmedia_health_retries": 1, "antmedia_health_delay": 1}
    role_vars.update(extra)
    return [{"name": "admin", "ansible.builtin.include_role": {"name": "streamfleet.cluster.antmedia", "tasks_from": "admin"},
             "vars": role_vars}]


def test_role_creates_the_administrator_once(playbook, console):
    playbook.run(admin_task(console))
    assert playbook.stats["changed"] == 1
    assert [(user["email"], user["userType"]) for user in console.users()] == [("admin@example.com", "ADMIN")]
    playbook.run(admin_task(console, antmedia_admin_verify_existing=True))
    assert playbook.stats["changed"] == 0
    assert PASSWORD not in playbook.last_output


def test_role_fails_when_someone_else_claimed_the_panel(playbook, console):
    playbook.run(admin_task(console, antmedia_admin_email="visitor@example.com", antmedia_admin_password="visitor-pass"))
    results = playbook.run(admin_task(console, antmedia_admin_verify_existing=True), expect_failure=True)
    assert any("someone else may have claimed the panel" in str(r.get("msg")) for r in results)
    assert PASSWORD not in playbook.last_output
    assert [user["email"] for user in console.users()] == ["visitor@example.com"]
