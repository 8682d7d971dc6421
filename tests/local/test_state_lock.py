"""The state folder's lock: one holder at a time, released by the kernel when its holder dies (even kill -9),
stale records and leftover files recognised, and a probe that never mistakes a dead pid for a running cloud.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from vcn.local.state import StateDirInUse, claim_state_dir
from vcn.local.state_lock import (
    LOCK_FILE,
    LockOwner,
    StateDirBusy,
    acquire_state_lock,
    lock_holder,
    recorded_owner,
)

HOLD = """
import sys, time
from pathlib import Path
from vcn.local.state_lock import acquire_state_lock
lock = acquire_state_lock(Path(sys.argv[1]), owned_files=["local.json"])
Path(sys.argv[1], "local.json").write_text("{}")
print("locked", flush=True)
time.sleep(120)
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding `tmp_path`'s lock (and a local.json), until the test kills it."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "locked"
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def test_the_holder_records_its_pid_and_start_time_and_empties_the_file_on_release(tmp_path: Path) -> None:
    with acquire_state_lock(tmp_path / "state") as lock:
        record = json.loads((tmp_path / "state" / LOCK_FILE).read_text())
        assert record["pid"] == os.getpid() == lock.owner.pid
        assert record["started"] == lock.owner.started and record["started"].endswith("+00:00")
        assert lock_holder(tmp_path / "state") == lock.owner
    assert (tmp_path / "state" / LOCK_FILE).read_text() == ""
    assert lock_holder(tmp_path / "state") is None
    with acquire_state_lock(tmp_path / "state") as again:
        assert again.previous is None and again.dropped == ()


def test_a_second_holder_is_refused_even_in_the_same_process(tmp_path: Path) -> None:
    with acquire_state_lock(tmp_path) as first:
        with pytest.raises(StateDirBusy) as busy:
            acquire_state_lock(tmp_path, patience=0.1)
        assert busy.value.owner == first.owner
        assert f"pid {os.getpid()}" in str(busy.value)


def test_a_live_holder_in_another_process_is_found_and_blocks_a_second(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    owner = lock_holder(tmp_path)
    assert owner is not None and owner.pid == holder.pid
    with pytest.raises(StateDirBusy) as busy:
        acquire_state_lock(tmp_path, owned_files=["local.json"], patience=0.1)
    assert busy.value.owner == owner
    assert (tmp_path / "local.json").exists(), "a refused claimant touches nothing"


def test_kill_9_releases_the_lock_and_the_next_holder_drops_the_leftovers(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert lock_holder(tmp_path) is None
    recorded = recorded_owner(tmp_path)
    assert recorded is not None and recorded.pid == holder.pid  # the record stays: it names the dead one
    with acquire_state_lock(tmp_path, owned_files=["local.json", "other.json"]) as lock:
        assert lock.previous is not None and lock.previous.pid == holder.pid
        assert lock.dropped == ("local.json",)
        assert not (tmp_path / "local.json").exists()


def test_a_reused_pid_without_the_lock_is_not_a_running_cloud(tmp_path: Path) -> None:
    # The record names a live process (this one) that does not hold the lock: the lock decides.
    (tmp_path / LOCK_FILE).write_text(LockOwner(os.getpid(), "2026-01-01T00:00:00+00:00").to_json())
    assert lock_holder(tmp_path) is None
    # Nor is a record naming a process that no longer exists.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    (tmp_path / LOCK_FILE).write_text(LockOwner(int(dead.stdout), "x").to_json())
    assert lock_holder(tmp_path) is None


def test_child_processes_do_not_inherit_the_lock(tmp_path: Path) -> None:
    lock = acquire_state_lock(tmp_path)
    child = subprocess.Popen(["sleep", "30"], close_fds=False)
    try:
        lock.release()
        assert lock_holder(tmp_path) is None, "a worker started by the holder must not keep the lock"
        acquire_state_lock(tmp_path, patience=0).release()
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize(
    "content", ["", "{", "[]", '{"pid": "1"}', '{"pid": true, "started": "x"}', '{"pid": -4}']
)
def test_an_empty_or_garbled_record_names_nobody(content: str) -> None:
    assert LockOwner.parse(content) is None


def test_no_lock_file_means_no_holder(tmp_path: Path) -> None:
    assert lock_holder(tmp_path) is None and recorded_owner(tmp_path) is None


STOPPING = """
import sys, time
from pathlib import Path
from vcn.local.state_lock import acquire_state_lock
lock = acquire_state_lock(Path(sys.argv[1]), owned_files=["local.json"])
lock.mark_stopping()  # as a cloud does first when it stops: local.json goes, pending deliveries go on
print("stopping", flush=True)
time.sleep(120)
"""


def test_a_cloud_that_is_stopping_is_not_reported_as_starting(tmp_path: Path) -> None:
    """`vcn local up` right after Ctrl-C meets the old cloud still delivering what was pending: the refusal
    says it is stopping, not that it is still starting (neither has a local.json)."""
    command = [sys.executable, "-c", STOPPING, str(tmp_path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "stopping"
        owner = lock_holder(tmp_path)
        assert owner is not None and owner.pid == process.pid and owner.stopping is not None
        with pytest.raises(StateDirInUse) as refused:
            claim_state_dir(tmp_path)
        assert str(refused.value) == (
            f"the local cloud on state dir {tmp_path} (pid {process.pid}, started {owner.started}) is "
            f"stopping since {owner.stopping}: it is finishing what is still pending; wait for it to end, "
            "then start again"
        )
    finally:
        process.kill()
        process.wait()
    with acquire_state_lock(tmp_path) as next_one:
        assert next_one.previous is not None and next_one.previous.stopping is not None  # it never finished
        assert next_one.owner.stopping is None
