// Retry rules, without a server: a fake CommandService fails as told, then answers.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";

import { HotspotClient, HotspotError } from "../src";

function withFake(failures: grpc.status[]) {
  const client = new HotspotClient("127.0.0.1:1", "token", { backoffMs: 0 });
  const ids: string[] = [];
  const fake = {
    close() {},
    ReferYouth(request: { request_id: string }, _m: unknown, _o: unknown, done: Function) {
      ids.push(request.request_id);
      const code = failures.shift();
      if (code !== undefined) done(Object.assign(new Error("fake"), { code, details: "fake" }));
      else done(null, { id: "youth-1" });
    },
  };
  (client as unknown as { commands: unknown }).commands = fake;
  return { client, ids };
}

test("UNAVAILABLE is retried with the same request id", async () => {
  const { client, ids } = withFake([grpc.status.UNAVAILABLE, grpc.status.UNAVAILABLE]);
  assert.equal((await client.command("ReferYouth", { area_id: "a" })).id, "youth-1");
  assert.equal(ids.length, 3);
  assert.equal(new Set(ids).size, 1);
  client.close();
});

test("ABORTED is retried only without a pinned version", async () => {
  let fake = withFake([grpc.status.ABORTED]);
  assert.equal((await fake.client.command("ReferYouth", { area_id: "a" })).id, "youth-1");
  fake.client.close();
  fake = withFake([grpc.status.ABORTED]);
  await assert.rejects(fake.client.command("ReferYouth", { area_id: "a", expected_version: "3" }), (e) =>
    e instanceof HotspotError && e.code === grpc.status.ABORTED);
  assert.equal(fake.ids.length, 1);
  fake.client.close();
});

test("other errors are not retried, and retries end", async () => {
  let fake = withFake([grpc.status.FAILED_PRECONDITION]);
  await assert.rejects(fake.client.command("ReferYouth", { area_id: "a" }), HotspotError);
  assert.equal(fake.ids.length, 1);
  fake.client.close();
  fake = withFake(Array(10).fill(grpc.status.UNAVAILABLE));
  await assert.rejects(fake.client.command("ReferYouth", { area_id: "a" }), HotspotError);
  assert.equal(fake.ids.length, 4);
  fake.client.close();
});
