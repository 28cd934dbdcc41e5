"""Real hotspotd servers for the tests: started on a free port with the demo area, stopped after:
plaintext, TLS, and mTLS with certificates made by tests/tls/make_certs.sh (HOTSPOT_MAKE_CERTS)."""

import hashlib
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time

import pytest


def _start(data, extra_flags):
    """Starts hotspotd in `data`; yields {"target", "tokens"} and stops it afterwards."""
    binary = os.environ.get("HOTSPOTD")
    if not binary:
        pytest.fail("set HOTSPOTD to the hotspotd binary (ctest does)")
    port_file = os.path.join(data, "port")
    out = open(os.path.join(data, "stdout"), "w+")
    process = subprocess.Popen(
        [binary, "--demo", "--listen=127.0.0.1:0", f"--port_file={port_file}",
         f"--data_dir={data}/data", "--sync=false", "--deadline_interval_s=0", *extra_flags],
        stdout=out, stderr=subprocess.DEVNULL, text=True)
    tokens = {}
    try:
        deadline = time.time() + 60
        while not os.path.exists(port_file):
            if process.poll() is not None or time.time() > deadline:
                pytest.fail("hotspotd did not start")
            time.sleep(0.05)
        with open(port_file) as f:
            port = int(f.read().strip())
        # The dev tokens, printed (and flushed) once before the port file is written.
        out.seek(0)
        for line in out:
            match = re.match(r"\s+(\S+) \((\w+)\): (\S+)", line)
            if match:
                tokens[match.group(1)] = match.group(3)
        yield {"target": f"127.0.0.1:{port}", "tokens": tokens}
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        out.close()


def _server(prefix, flags):
    data = tempfile.mkdtemp(prefix=prefix)
    try:
        yield from _start(data, flags)
    finally:
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def hotspotd():
    yield from _server("hotspot-py-", [])


@pytest.fixture(scope="session")
def hotspotd_every_area():
    """hotspotd with the demo area and one caller, "auditor-all", an auditor of every area: a
    subscriber that may receive every event of the log."""
    data = tempfile.mkdtemp(prefix="hotspot-py-every-area-")
    try:
        token = secrets.token_hex(32)
        tokens_file = os.path.join(data, "tokens")
        with open(tokens_file, "w") as f:
            f.write(f"{hashlib.sha256(token.encode()).hexdigest()} auditor-all "
                    "agency-hotspot-sjaelor auditor -\n")
        for server in _start(data, [f"--tokens_file={tokens_file}"]):
            server["tokens"]["auditor-all"] = token
            yield server
    finally:
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def pki():
    """Two throwaway PKIs: {"ours": dir, "other": dir} (see tests/tls/make_certs.sh)."""
    script = os.environ.get("HOTSPOT_MAKE_CERTS")
    if not script:
        pytest.fail("set HOTSPOT_MAKE_CERTS to tests/tls/make_certs.sh (ctest does)")
    root = tempfile.mkdtemp(prefix="hotspot-py-pki-")
    try:
        dirs = {name: os.path.join(root, name) for name in ("ours", "other")}
        for d in dirs.values():
            subprocess.run([script, d], check=True)
        yield dirs
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def hotspotd_tls(pki):
    """hotspotd with TLS (the PKI's server certificate), no client certificates asked for."""
    ours = pki["ours"]
    yield from _server("hotspot-py-tls-", [f"--tls_cert_file={ours}/server.pem",
                                           f"--tls_key_file={ours}/server.key"])


@pytest.fixture(scope="session")
def hotspotd_mtls(pki):
    """hotspotd with TLS, client certificates required (mTLS) and the client map of the PKI."""
    ours = pki["ours"]
    yield from _server("hotspot-py-mtls-", [
        f"--tls_cert_file={ours}/server.pem", f"--tls_key_file={ours}/server.key",
        f"--tls_client_ca_file={ours}/client-ca.pem", f"--tls_client_map_file={ours}/client-map"])
