// Subscriptions resume exactly where the consumer stopped, also in the middle of a batch (issue
// 15 §7): each event's checkpoint is its own position + 1, and progress past the events the
// filters leave out comes as an item of its own, { event: null, checkpoint }.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

import { HotspotClient } from "../src";
import { Hotspotd, startHotspotd } from "../testing/hotspotd";

const CONSUMER = path.join(__dirname, "..", "testing", "resuming_consumer.js");
const PROTO_DIR = path.join(__dirname, "..", "..", "..", "..", "proto");
const MAX_BATCH = 10000; // the whole demo log in one batch
const STOP_AFTER = 7;
let server: Hotspotd;
let tokensDir: string;
// The one caller, an auditor of every area: it receives every event of the log, and its
// checkpoints move past the events its filters leave out.
const token = randomBytes(32).toString("hex");

before(async () => {
  tokensDir = fs.mkdtempSync(path.join(os.tmpdir(), "hotspot-node-tokens-"));
  const tokensFile = path.join(tokensDir, "tokens");
  const hash = createHash("sha256").update(token).digest("hex");
  fs.writeFileSync(tokensFile, `${hash} auditor-all agency-hotspot-sjaelor auditor -\n`, { mode: 0o600 });
  server = await startHotspotd([`--tokens_file=${tokensFile}`]);
});

after(async () => {
  await server.stop();
  fs.rmSync(tokensDir, { recursive: true, force: true });
});

// Each item of a subscription up to the head: the event's position (null for none) and the
// checkpoint.
async function subscribe(fromPosition: number, eventTypes: string[] = []): Promise<Array<[number | null, number]>> {
  const auditor = new HotspotClient(server.target, token, { purpose: "audit" });
  const items: Array<[number | null, number]> = [];
  for await (const { event, checkpoint } of auditor.subscribe({ fromPosition, eventTypes, maxBatch: MAX_BATCH, untilCaughtUp: true })) {
    if (event && eventTypes.length > 0) assert.equal(event.type, eventTypes[0]);
    items.push([event ? Number(event.position) : null, Number(checkpoint)]);
  }
  auditor.close();
  return items;
}

const positions = (items: Array<[number | null, number]>) => items.flatMap(([p]) => (p === null ? [] : [p]));

// The first response of a subscription from position 1, past the wrapper.
async function firstResponse(): Promise<{ events: unknown[]; checkpoint: string }> {
  const definition = protoLoader.loadSync("hotspot/v1/subscription_service.proto", {
    includeDirs: [PROTO_DIR], keepCase: true, longs: String, defaults: true, oneofs: true,
  });
  const proto = grpc.loadPackageDefinition(definition) as any;
  const service = new proto.hotspot.v1.SubscriptionService(server.target, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  metadata.set("purpose-bin", Buffer.from("audit"));
  const stream = service.Subscribe({ from_position: "1", max_batch: MAX_BATCH }, metadata, { deadline: Date.now() + 30_000 });
  stream.on("error", () => {}); // CANCELLED, once the first response is in
  const [first] = await once(stream, "data");
  stream.cancel();
  service.close();
  return first;
}

function consumer(state: string, stopAfter: number): string[] {
  return [CONSUMER, server.target, token, state, String(MAX_BATCH), String(stopAfter)];
}

// The consumer's first line of output, within 60 s (or it is killed).
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    let text = "";
    const done = () => {
      clearTimeout(timer);
      resolve(text.split("\n")[0]);
    };
    child.stdout!.on("data", (chunk) => {
      text += chunk;
      if (text.includes("\n")) done();
    });
    child.once("exit", done);
  });
}

test("a consumer killed in the middle of a batch resumes at its next event", async () => {
  const everything = positions(await subscribe(1));
  assert.deepEqual(everything, Array.from(everything, (_, i) => i + 1));
  // The kill falls inside the first response: it holds more than STOP_AFTER events.
  const first = await firstResponse();
  assert.ok(first.events.length > STOP_AFTER + 1, `the first response holds ${first.events.length} events`);

  const state = fs.mkdtempSync(path.join(os.tmpdir(), "hotspot-node-consumer-"));
  try {
    const run = spawn(process.execPath, consumer(state, STOP_AFTER), { stdio: ["pipe", "pipe", "inherit"] });
    const exited = once(run, "exit");
    assert.equal(await firstLine(run), "stopped");
    run.kill("SIGKILL");
    assert.deepEqual(await exited, [null, "SIGKILL"]);
    const stored = () => Number(fs.readFileSync(path.join(state, "checkpoint"), "utf8"));
    assert.equal(stored(), everything[STOP_AFTER - 1] + 1);
    assert.ok(stored() < Number(first.checkpoint)); // the batch's own checkpoint would skip the rest of it

    const resumed = spawnSync(process.execPath, consumer(state, 0), { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "inherit"] });
    assert.equal(resumed.status, 0);
    assert.equal(resumed.stdout, "");
    const received = fs.readFileSync(path.join(state, "received"), "utf8").split("\n").filter((l) => l).map(Number);
    assert.deepEqual(received, everything); // every position once, in order, across the two runs
    assert.equal(stored(), everything[everything.length - 1] + 1);
  } finally {
    fs.rmSync(state, { recursive: true, force: true });
  }
});

test("progress past the events the filters leave out is an item of its own", async () => {
  const everything = positions(await subscribe(1));
  const head = everything[everything.length - 1];
  // The type of the log's first event (the demo's setup, not repeated at its end).
  const auditor = new HotspotClient(server.target, token, { purpose: "audit" });
  let firstType = "";
  for await (const { event } of auditor.subscribe({ maxBatch: 1 })) {
    firstType = event!.type;
    break;
  }
  auditor.close();
  const items = await subscribe(1, [firstType]);
  const events = items.filter(([p]) => p !== null) as Array<[number, number]>;
  assert.ok(events.length > 0);
  for (const [p, c] of events) assert.equal(c, p + 1);
  const checkpoints = items.map(([, c]) => c);
  assert.deepEqual(checkpoints, [...checkpoints].sort((x, y) => x - y));
  // The log goes on past the last such event: that progress ends the subscription's items.
  assert.ok(events[events.length - 1][0] < head);
  assert.deepEqual(items[items.length - 1], [null, head + 1]);
  // Resuming from it examines nothing again.
  assert.deepEqual(await subscribe(head + 1, [firstType]), [[null, head + 1]]);
});
