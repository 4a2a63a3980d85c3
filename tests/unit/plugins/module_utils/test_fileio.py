"""Unit tests of plugins/module_utils/fileio.py."""
import os
import stat

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.fileio import read_text, write_atomically


class FakeModule:
    """The two AnsibleModule methods fileio uses."""

    def __init__(self):
        self.backups = []
        self.moves = []

    def backup_local(self, path):
        backup = path + ".bak"
        with open(path, "rb") as src, open(backup, "wb") as dst:
            dst.write(src.read())
        self.backups.append(backup)
        return backup

    def atomic_move(self, src, dest):
        self.moves.append((src, dest))
        os.replace(src, dest)


def test_read_text_returns_text_and_newline(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"a=1\r\nb=2\r\n")
    assert read_text(str(path)) == ("a=1\r\nb=2\r\n", "\r\n")
    path.write_bytes(b"x")
    assert read_text(str(path)) == ("x", "\n")


def test_any_bytes_round_trip(tmp_path):
    path = tmp_path / "latin1.properties"
    data = b"name=caf\xe9\nutf=caf\xc3\xa9\n"
    path.write_bytes(data)
    text = read_text(str(path))[0]
    write_atomically(None, str(path), text)
    assert path.read_bytes() == data


def test_write_keeps_mode_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "secret.properties"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    module = FakeModule()
    assert write_atomically(module, str(path), "new\n") is None
    assert path.read_text() == "new\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert module.moves and module.moves[0][1] == str(path)
    assert os.path.dirname(module.moves[0][0]) == str(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["secret.properties"]


def test_backup_returns_its_path(tmp_path):
    path = tmp_path / "f.properties"
    path.write_text("old\n")
    module = FakeModule()
    backup = write_atomically(module, str(path), "new\n", backup=True)
    assert backup == str(path) + ".bak"
    assert open(backup).read() == "old\n"
    assert path.read_text() == "new\n"


def test_new_file_gets_the_requested_mode(tmp_path):
    path = tmp_path / "new.properties"
    assert write_atomically(FakeModule(), str(path), "a=1\n", backup=True, mode=0o600) is None
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_failed_move_leaves_the_file_and_no_temp(tmp_path):
    path = tmp_path / "f"
    path.write_text("old\n")

    class Broken(FakeModule):
        def atomic_move(self, src, dest):
            raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomically(Broken(), str(path), "new\n")
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["f"]


def test_private_leaves_the_owner_only_on_the_file_and_its_backup(tmp_path):
    path = tmp_path / "secret.properties"
    path.write_text("password=old\n")
    os.chmod(path, 0o664)
    backup = write_atomically(FakeModule(), str(path), "password=new\n", backup=True, private=True)
    assert path.read_text() == "password=new\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # The backup holds the old secret: private too, however backup_local copied it.
    assert open(backup).read() == "password=old\n"
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["secret.properties", "secret.properties.bak"]


def test_private_new_file_and_no_module(tmp_path):
    path = tmp_path / "new.properties"
    write_atomically(None, str(path), "token=x\n", mode=0o644, private=True)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # Without private the same call keeps the world-readable mode asked for.
    other = tmp_path / "plain.properties"
    write_atomically(None, str(other), "a=1\n", mode=0o644)
    assert stat.S_IMODE(os.stat(other).st_mode) == 0o644
