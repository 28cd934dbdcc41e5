// A consumer that resumes where it stopped: run by test/resume.test.ts as its own process.
//
//   node dist/testing/resuming_consumer.js TARGET TOKEN STATE_DIR MAX_BATCH STOP_AFTER
//
// Subscribes as the token's principal (purpose "audit") from the checkpoint stored in
// STATE_DIR/checkpoint (1 without one) up to the head. For each item it appends the event's
// position to STATE_DIR/received, then stores the item's checkpoint (replacing the file
// atomically), the way a consumer that handles each event once would. After STOP_AFTER events
// (0: never) it prints "stopped" and waits on stdin for the test to kill it.
import * as fs from "node:fs";
import * as path from "node:path";

import { HotspotClient } from "../src";

async function main(target: string, token: string, state: string, maxBatch: number, stopAfter: number) {
  const checkpointFile = path.join(state, "checkpoint");
  const fromPosition = fs.existsSync(checkpointFile) ? fs.readFileSync(checkpointFile, "utf8") : "1";
  const hotspot = new HotspotClient(target, token, { purpose: "audit" });
  let handled = 0;
  for await (const { event, checkpoint } of hotspot.subscribe({ fromPosition, maxBatch, untilCaughtUp: true })) {
    if (event) fs.appendFileSync(path.join(state, "received"), `${event.position}\n`);
    fs.writeFileSync(`${checkpointFile}.new`, checkpoint);
    fs.renameSync(`${checkpointFile}.new`, checkpointFile);
    if (event && ++handled === stopAfter) {
      process.stdout.write("stopped\n");
      await new Promise((resolve) => process.stdin.once("end", resolve).resume());
    }
  }
  hotspot.close();
}

const [target, token, state, maxBatch, stopAfter] = process.argv.slice(2);
main(target, token, state, Number(maxBatch), Number(stopAfter)).catch((e) => {
  console.error(e);
  process.exit(1);
});
