"""A real hotspotd for the tests: started on a free port with the demo area, stopped after."""

import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest


@pytest.fixture(scope="session")
def hotspotd():
    binary = os.environ.get("HOTSPOTD")
    if not binary:
        pytest.fail("set HOTSPOTD to the hotspotd binary (ctest does)")
    data = tempfile.mkdtemp(prefix="hotspot-py-")
    port_file = os.path.join(data, "port")
    out = open(os.path.join(data, "stdout"), "w+")
    process = subprocess.Popen(
        [binary, "--demo", "--listen=127.0.0.1:0", f"--port_file={port_file}",
         f"--data_dir={data}/data", "--sync=false", "--deadline_interval_s=0"],
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
        shutil.rmtree(data, ignore_errors=True)
