"""The Amplify JS Events client (aws-amplify v6 from npm) against the local server's TLS listener.

`events_roundtrip.mjs` connects with `events.connect`, subscribes to an exact and a wildcard channel,
publishes with `events.post` (HTTP, single and batch) and `channel.publish` (WebSocket), tries a post
with a wrong API key, and prints what happened as JSON lines. Node trusts the server's self-signed
certificate through NODE_EXTRA_CA_CERTS (honoured by both the `ws` package and Node's fetch).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.appsync_server import api_config
from vcn.appsync.config import ApiKey, AuthProvider, EventApiConfig, Namespace
from vcn.appsync.server import AppSyncEventsServer

HERE = Path(__file__).parent
API_KEY = "da2-amplify-interop-key"
NAMESPACE = "amplify"

pytestmark = [pytest.mark.slow, pytest.mark.installs, pytest.mark.timeout(420)]


def _node_modules() -> None:
    """Install the pinned aws-amplify into tests/amplify/node_modules unless it is already there."""
    if (HERE / "node_modules" / "aws-amplify" / "package.json").exists():
        return
    subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=360)


def _config() -> EventApiConfig:
    return api_config(
        Namespace(NAMESPACE),
        name="amplify-interop",
        api_id="amplifyinteropapi",
        auth_providers=(AuthProvider("API_KEY"),),
        api_keys=(ApiKey("InteropKey", API_KEY, int(time.time()) + 3600),),
    )


async def _run_amplify(state_dir: Path) -> tuple[int, list[dict[str, Any]], str]:
    server = AppSyncEventsServer(_config(), None, state_dir=state_dir)
    await server.start(tls_port=0)
    try:
        assert server.https_url is not None and server.tls_cert_path is not None
        env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(server.tls_cert_path)}
        env.pop("NODE_TLS_REJECT_UNAUTHORIZED", None)  # prove the CA file is what makes TLS work
        process = await asyncio.create_subprocess_exec(
            "node",
            "events_roundtrip.mjs",
            server.https_url,
            API_KEY,
            NAMESPACE,
            cwd=HERE,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        await server.stop()
    lines = [json.loads(line) for line in stdout.decode().splitlines() if line.startswith("{")]
    return process.returncode or 0, lines, stderr.decode()


@pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None, reason="needs Node.js and npm"
)
def test_amplify_events_client_subscribes_and_publishes_over_http_and_websocket(tmp_path: Path) -> None:
    _node_modules()
    returncode, lines, stderr = asyncio.run(_run_amplify(tmp_path))
    print("\n".join(json.dumps(line) for line in lines))  # the run's transcript, shown with -s or on failure
    assert returncode == 0, f"node exited {returncode}: {stderr[-2000:]}\n{lines}"
    kinds = [line["kind"] for line in lines]
    assert kinds[:2] == ["connected", "subscribed"]
    assert kinds[-1] == "done"
    assert "subscription_error" not in kinds
    posted = [line for line in lines if line["kind"] == "posted"]
    assert [p["failed"] for p in posted] == [[], []]
    rejected = [line for line in lines if line["kind"] == "post_with_bad_key_rejected"]
    # Amplify names HTTP errors from an `x-amzn-errortype` header or a body `code`/`message`; the AppSync
    # Events error body is `{"errors": [...]}`, so the name is Amplify's generic one and the status tells.
    assert len(rejected) == 1 and rejected[0]["status"] == 401
    assert json.loads(rejected[0]["body"])["errors"][0]["errorType"] == "UnauthorizedException"
    expected = [
        {"via": "http", "n": 1},
        {"via": "http-batch", "n": 2},
        {"via": "http-batch", "n": 3},
        {"via": "websocket", "n": 4},
    ]
    for subscription in ("exact", "wildcard"):
        events = [
            line["event"]
            for line in lines
            if line["kind"] == "received" and line["subscription"] == subscription
        ]
        assert events == expected, subscription
