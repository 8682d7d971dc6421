"""The local cloud's ports: `--port-base`, 0 for any free port, and the check that names a taken one."""

from __future__ import annotations

import socket

import pytest

from vcn.local.ports import LocalPorts, PortInUse, assign_free_ports, check_ports_free


def test_a_port_base_spaces_the_services_ten_apart() -> None:
    assert LocalPorts.from_base(5000) == LocalPorts(5000, 5010, 5020, 5021, 5030)
    assert LocalPorts.from_base(5000, tls=False).appsync_tls is None


def test_zero_becomes_a_distinct_port_nothing_listens_on_and_a_chosen_port_stays() -> None:
    for _ in range(10_000):  # probed and released one by one, two got the same port every few thousand
        ports = assign_free_ports(LocalPorts(0, 0, 0, 0, 0), "127.0.0.1")
        chosen = [ports.api, ports.eventbridge, ports.appsync, ports.appsync_tls, ports.dynamodb]
        assert len(set(chosen)) == 5, chosen
    assert all(isinstance(port, int) and port > 0 for port in chosen)
    for port in chosen:
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))
    kept = assign_free_ports(LocalPorts(4000, 0, 0, None, 4030), "127.0.0.1")
    assert (kept.api, kept.appsync_tls, kept.dynamodb) == (4000, None, 4030)


def test_a_port_another_process_listens_on_is_named_with_the_flag_that_moves_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse, match=f"port {port} is in use; pass --eventbridge-port"):
            check_ports_free(LocalPorts(0, port, 0, None), "127.0.0.1")
    with pytest.raises(PortInUse, match="pass --appsync-port"):  # one port for two services
        check_ports_free(LocalPorts(0, 4711, 4711, None), "127.0.0.1")
