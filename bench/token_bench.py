"""What one token verification costs the authorizer, now that its signatures are checked in pure Python.

Run: `.venv/bin/python -m bench.token_bench` from the repository root (a few seconds).

The authorizer (`adapters.token_verifier.JwksTokenVerifier`: python-rsa for RS256, python-ecdsa for ES256,
PyJWT for the claims) verifies the same RS256 and ES256 tokens again and again, its JWKS cached as in a warm
Lambda. Baseline in the same process: PyJWT with the `cryptography` backend (what the authorizer shipped
before, 10 MB of native code) verifying the same tokens with the same keys. The calls are interleaved round by
round so both see the same machine noise; CPU time of this thread, median of the rounds, in microseconds.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "functions"))
from adapters.token_verifier import JwksTokenVerifier

ROUNDS, CALLS = 9, 200
ISSUER, AUDIENCE = "https://login.example.com/", "bench"


def serve_jwks(jwks: dict[str, Any]) -> str:
    body = json.dumps(jwks).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/jwks.json"


def cpu_per_call(verify: Callable[[], object]) -> float:
    start = time.thread_time()
    for _ in range(CALLS):
        verify()
    return (time.thread_time() - start) / CALLS * 1e6


def main() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    jwks = {
        "keys": [
            {**RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True), "kid": "rsa", "alg": "RS256"},
            {**ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True), "kid": "ec", "alg": "ES256"},
        ]
    }
    verifier = JwksTokenVerifier(serve_jwks(jwks), ISSUER, AUDIENCE)
    now = int(time.time())
    claims = {"sub": "bench", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 3600, "nbf": now - 60}
    cases = {}
    for algorithm, key in (("RS256", rsa_key), ("ES256", ec_key)):
        kid = "rsa" if algorithm == "RS256" else "ec"
        token = jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})
        public = key.public_key()

        def baseline(token: str = token, public: Any = public, algorithm: str = algorithm) -> object:
            return jwt.decode(token, public, algorithms=[algorithm], audience=AUDIENCE, issuer=ISSUER)

        def ours(token: str = token) -> object:
            return verifier.verify(token)

        ours()  # the JWKS fetch happens once, as in a warm Lambda
        cases[algorithm] = (ours, baseline)
    print(f"token verification, CPU us per call (median of {ROUNDS} interleaved rounds of {CALLS} calls)")
    print(f"{'token':8} {'authorizer (pure Python)':>26} {'PyJWT + cryptography':>22} {'ratio':>7}")
    for name, (ours, baseline) in cases.items():
        mine, theirs = [], []
        for _ in range(ROUNDS):
            mine.append(cpu_per_call(ours))
            theirs.append(cpu_per_call(baseline))
        a, b = statistics.median(mine), statistics.median(theirs)
        print(f"{name:8} {a:26.1f} {b:22.1f} {a / b:7.2f}")


if __name__ == "__main__":
    main()
