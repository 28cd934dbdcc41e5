// The TypeScript client over TLS and mTLS: hotspotd requires client certificates of the test's
// PKI (tests/tls/make_certs.sh) and maps one of them to the demo's integration.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as grpc from "@grpc/grpc-js";

import { HotspotClient, HotspotError, TlsFiles } from "../src";
import { Hotspotd, makePki, startHotspotd } from "../testing/hotspotd";
import { referAndCommit } from "../examples/refer_and_commit";

const AREA = "area-sjaelor-boulevard";
let ours: string;
let other: string;
let server: Hotspotd; // mTLS
let tlsOnly: Hotspotd;

before(async () => {
  ours = makePki();
  other = makePki();
  tlsOnly = await startHotspotd([`--tls_cert_file=${ours}/server.pem`, `--tls_key_file=${ours}/server.key`]);
  server = await startHotspotd([
    `--tls_cert_file=${ours}/server.pem`, `--tls_key_file=${ours}/server.key`,
    `--tls_client_ca_file=${ours}/client-ca.pem`, `--tls_client_map_file=${ours}/client-map`,
  ]);
});

after(async () => {
  await server.stop();
  await tlsOnly.stop();
  for (const dir of [ours, other]) fs.rmSync(dir, { recursive: true, force: true });
});

function files(cert: string, ca = ours, clientPki = ours): TlsFiles {
  return { caFile: `${ca}/ca.pem`, certFile: `${clientPki}/${cert}.pem`, keyFile: `${clientPki}/${cert}.key` };
}

function client(token: string, tls: TlsFiles): HotspotClient {
  return new HotspotClient(server.target, token, { tls, purpose: "case_coordination: test", retries: 0, deadlineMs: 5000 });
}

// The cases of the demo area, page by page.
async function countCases(hotspot: HotspotClient): Promise<number> {
  try {
    let cases = 0;
    for await (const _ of hotspot.pages("ListCases", { area_id: AREA, page_size: 20 })) ++cases;
    return cases;
  } finally {
    hotspot.close();
  }
}

async function refusal(hotspot: HotspotClient): Promise<HotspotError> {
  try {
    await hotspot.query("ListCases", { area_id: AREA });
  } catch (e) {
    assert.ok(e instanceof HotspotError);
    return e;
  } finally {
    hotspot.close();
  }
  assert.fail("the call was answered");
}

test("TLS with a token", async () => {
  const chief = tlsOnly.tokens["chief-anna"];
  const hotspot = new HotspotClient(tlsOnly.target, chief, { tls: { caFile: `${ours}/ca.pem` }, purpose: "case_coordination: test" });
  assert.ok((await countCases(hotspot)) >= 40);
  for (const tls of [undefined, { caFile: `${other}/ca.pem` }]) {
    const error = await refusal(new HotspotClient(tlsOnly.target, chief, { tls, retries: 0, deadlineMs: 5000, purpose: "x: y" }));
    assert.equal(error.code, grpc.status.UNAVAILABLE, JSON.stringify(tls));
  }
});

test("a mapped client certificate is its principal without a token", async () => {
  const integration = client("", files("client"));
  try {
    const positions: number[] = [];
    for await (const { event } of integration.subscribe({ untilCaughtUp: true })) {
      if (event) positions.push(Number(event.position));
    }
    assert.ok(positions.length >= 100);
    assert.deepEqual(positions, [...new Set(positions)].sort((a, b) => a - b));
  } finally {
    integration.close();
  }
  // Its principal and another's token: two identities, refused.
  const both = await refusal(client(server.tokens["chief-anna"], files("client")));
  assert.equal(both.code, grpc.status.UNAUTHENTICATED);
  assert.equal(
    both.details,
    "the bearer token is chief-anna's and the client certificate system-case-records's: " +
      "send one identity (the token, or the certificate alone)",
  );
});

test("an unmapped certificate needs a token", async () => {
  assert.ok((await countCases(client(server.tokens["chief-anna"], files("operator")))) >= 40);
  const nobody = await refusal(client("", files("operator")));
  assert.equal(nobody.code, grpc.status.UNAUTHENTICATED);
  assert.match(nobody.details, /cn:operator-workstation/);
});

test("strange certificates and plaintext are refused", async () => {
  const chief = server.tokens["chief-anna"];
  for (const tls of [
    files("client", ours, other), // a client certificate of another CA
    files("client", other, ours), // a server certificate the client does not trust
    { caFile: `${ours}/ca.pem` }, // no client certificate
    undefined, // plaintext
  ]) {
    const error = await refusal(new HotspotClient(server.target, chief, { tls, retries: 0, deadlineMs: 5000, purpose: "x: y" }));
    assert.equal(error.code, grpc.status.UNAVAILABLE, JSON.stringify(tls));
  }
  assert.throws(() => new HotspotClient(server.target, "", { tls: { certFile: `${ours}/client.pem` } }), /needs its key/);
});

test("the example runs over mTLS with the TLS files it is given", async () => {
  const { youth, open } = await referAndCommit(server.target, server.tokens["chief-anna"], files("operator"));
  const mine = open.filter((c) => c.youth_id === youth);
  assert.equal(mine.length, 1);
  assert.equal(mine[0].action.text, "Daily attendance follow-up with the family");
});
