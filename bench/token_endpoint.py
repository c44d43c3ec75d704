#!/usr/bin/env python3
"""Token-endpoint load run for tongban (issue 4's targets), on 127.0.0.1 only.

Starts a release build of tongban with the demo on a fresh SQLite data folder,
registers bench clients and pre-issues authorization codes straight into the
database (so no password hashing or browser step is measured), then drives
POST /oauth/token with wrk:

  * code exchange, ES256 ID tokens (each code consumed durably, once)
  * code exchange, RS256 ID tokens
  * client_credentials, ES256 JWT access tokens
  * GET /healthz on the same server (the HTTP limit of the same stack)
  * with --peer: node oidc-provider 9 (installed from the npm registry into a
    temporary folder, never committed) issuing the same client_credentials
    ES256 JWT access tokens, interleaved with tongban over three rounds

Usage: python3 bench/token_endpoint.py [--binary target/release/tongban]
       [--duration 10] [--connections 64] [--codes 200000]
Needs: wrk (Debian package).
"""
import argparse
import hashlib
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REDIRECT = "http://127.0.0.1:8765/callback"


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


def wait_ready(base):
    for _ in range(600):
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit("server did not become ready")


def wrk(args, url, script=None, env=None):
    cmd = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, env=env).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p99, int(errors.group(1)) if errors else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/tongban")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--codes", type=int, default=200_000)
    ap.add_argument("--port", type=int, default=18080)
    ap.add_argument("--peer", action="store_true", help="compare client_credentials with node oidc-provider 9")
    args = ap.parse_args()

    data = tempfile.mkdtemp(prefix="tongban-bench-")
    base = f"http://127.0.0.1:{args.port}"
    env = dict(os.environ, TONGBAN_LOG_LEVEL="warn", TONGBAN_JOBS_ENABLED="false")
    server = subprocess.Popen(
        [args.binary, "serve", "--demo", "--data-dir", data, "--listen", f"127.0.0.1:{args.port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_ready(base)
        urllib.request.urlopen(base + "/oauth/jwks").read()  # makes the signing keys
        db = sqlite3.connect(os.path.join(data, "tongban.sqlite"), timeout=30)
        now = int(time.time() * 1000)
        secret = "bench-secret"
        clients = [("bench-es", "confidential", "ES256", "openid profile"),
                   ("bench-rs", "confidential", "RS256", "openid profile"),
                   ("bench-svc", "service", "ES256", "catalog.read")]
        for cid, kind, alg, scopes in clients:
            db.execute(
                "INSERT INTO oidc_clients (client_id, name, kind, secret_hash, redirect_uris, logout_uris, scopes,"
                " id_token_alg, require_consent, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,0,?,?)",
                (cid, cid, kind, sha(secret), REDIRECT if kind != "service" else "", "", scopes, alg, now, now))
        account = db.execute("SELECT id FROM accounts WHERE username = 'citizen'").fetchone()[0]
        files = {}
        for cid in ("bench-es", "bench-rs"):
            codes = [secrets.token_urlsafe(32) for _ in range(args.codes)]
            db.executemany(
                "INSERT INTO oidc_codes (code_hash, client_id, account_id, redirect_uri, scope, nonce, acr, auth_time,"
                " family, expires_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(sha(c), cid, account, REDIRECT, "openid profile", "n", "urn:tongban:rnl:3", now,
                  secrets.token_hex(8), now + 3_600_000) for c in codes])
            path = os.path.join(data, f"codes-{cid}.txt")
            with open(path, "w") as f:
                f.write("\n".join(codes))
            files[cid] = path
        db.commit()
        db.close()

        lua = os.path.join(HERE, "token_exchange.lua")
        lua_cc = os.path.join(HERE, "client_credentials.lua")
        results = []
        for label, run in [
            ("GET /healthz (HTTP limit)", lambda: wrk(args, base + "/healthz")),
            ("code exchange, ES256", lambda: wrk(args, base + "/oauth/token", lua,
                                                  dict(os.environ, CODES=files["bench-es"], CLIENT="bench-es"))),
            ("code exchange, RS256", lambda: wrk(args, base + "/oauth/token", lua,
                                                  dict(os.environ, CODES=files["bench-rs"], CLIENT="bench-rs"))),
            ("client_credentials, ES256", lambda: wrk(args, base + "/oauth/token", lua_cc,
                                                       dict(os.environ, CLIENT="bench-svc"))),
        ]:
            rps, p99, errors = run()
            results.append((label, rps, p99, errors))
            print(f"{label:32} {rps:10.0f} req/s   p99 {p99:>8}   non-2xx {errors}", flush=True)
        limit = results[0][1]
        for label, rps, _, _ in results[1:]:
            print(f"{label:32} ratio to /healthz {rps / limit:.2f}")
        if args.peer:
            peer_round(args, base, lua_cc)
    finally:
        server.terminate()
        server.wait()


def peer_round(args, base, lua_cc):
    """client_credentials: tongban and node oidc-provider, interleaved."""
    folder = tempfile.mkdtemp(prefix="oidc-provider-peer-")
    subprocess.run(["npm", "init", "-y"], cwd=folder, capture_output=True, check=True)
    subprocess.run(["npm", "install", "--silent", "oidc-provider@9"], cwd=folder, check=True)
    script = os.path.join(folder, "peer.mjs")
    with open(os.path.join(HERE, "oidc_provider_peer.mjs")) as src, open(script, "w") as dst:
        dst.write(src.read())
    port = args.port + 10
    peer = subprocess.Popen(["node", script, str(port)], cwd=folder,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)
        peer_lua = os.path.join(folder, "peer.lua")
        with open(peer_lua, "w") as f:
            f.write('wrk.method = "POST"\n'
                    'wrk.body = "grant_type=client_credentials&client_id=bench-svc&client_secret=bench-secret'
                    '&scope=catalog.read"\n'
                    'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
        ours, theirs = [], []
        for _ in range(3):
            ours.append(wrk(args, base + "/oauth/token", lua_cc, dict(os.environ, CLIENT="bench-svc"))[0])
            theirs.append(wrk(args, f"http://127.0.0.1:{port}/token", peer_lua)[0])
        ours.sort()
        theirs.sort()
        print(f"client_credentials ES256, 3 interleaved rounds: tongban {ours} req/s, "
              f"oidc-provider {theirs} req/s; median ratio {ours[1] / theirs[1]:.2f}")
    finally:
        peer.terminate()
        peer.wait()


if __name__ == "__main__":
    main()
