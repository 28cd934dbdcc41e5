// A real hotspotd for the tests (HOTSPOTD: its binary), with the demo area on a free port, and
// the throwaway PKIs of tests/tls/make_certs.sh (HOTSPOT_MAKE_CERTS) for TLS.
import * as assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface Hotspotd {
  target: string;
  tokens: Record<string, string>; // person -> dev token
  stop(): Promise<void>;
}

export async function startHotspotd(extraFlags: string[] = []): Promise<Hotspotd> {
  const binary = process.env.HOTSPOTD;
  assert.ok(binary, "set HOTSPOTD to the hotspotd binary (ctest does)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hotspot-node-"));
  const portFile = path.join(dir, "port");
  const out = fs.openSync(path.join(dir, "stdout"), "w");
  const server = spawn(
    binary!,
    ["--demo", "--listen=127.0.0.1:0", `--port_file=${portFile}`, `--data_dir=${dir}/data`, "--sync=false",
     "--deadline_interval_s=0", ...extraFlags],
    { stdio: ["ignore", out, "ignore"] },
  );
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(portFile)) {
    assert.ok(Date.now() < deadline && server.exitCode === null, "hotspotd did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  const tokens: Record<string, string> = {};
  // The dev tokens, printed (and flushed) once before the port file is written.
  for (const line of fs.readFileSync(path.join(dir, "stdout"), "utf8").split("\n")) {
    const m = /^\s+(\S+) \((\w+)\): (\S+)/.exec(line);
    if (m) tokens[m[1]] = m[3];
  }
  return {
    target: `127.0.0.1:${fs.readFileSync(portFile, "utf8").trim()}`,
    tokens,
    async stop() {
      server.kill("SIGTERM");
      await new Promise((r) => server.once("exit", r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A throwaway PKI in a new directory: ca.pem, server.pem/key, client-ca.pem, client.pem/key
// (mapped by client-map), operator.pem/key (not mapped).
export function makePki(): string {
  const script = process.env.HOTSPOT_MAKE_CERTS;
  assert.ok(script, "set HOTSPOT_MAKE_CERTS to tests/tls/make_certs.sh (ctest does)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hotspot-node-pki-"));
  execFileSync(script!, [dir]);
  return dir;
}
