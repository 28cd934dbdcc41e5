// A small TypeScript client for hotspotd over @grpc/grpc-js. The protos are loaded from proto/
// at run time; their types are generated from the same files at build time (gen/, not
// committed).
//
//   const hotspot = new HotspotClient("127.0.0.1:50051", token, { purpose: "meeting_preparation: weekly review" });
//   // over mTLS, as the principal hotspotd maps the client certificate to (no token):
//   const system = new HotspotClient("hotspot.kommune.example:443", "", {
//     tls: { caFile: "ca.pem", certFile: "client.pem", keyFile: "client.key" } });
//   const referred = await hotspot.command("ReferYouth", { area_id: ..., name: ... });
//   for await (const c of hotspot.pages("ListCommitments", { area_id: ... })) { ... }
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import type { ProtoGrpcType as AuditProto } from "../gen/audit_service";
import type { ProtoGrpcType as CommandProto } from "../gen/command_service";
import type { ProtoGrpcType as QueryProto } from "../gen/query_service";
import type { ProtoGrpcType as SubscriptionProto } from "../gen/subscription_service";
import type { CommandResponse__Output } from "../gen/hotspot/v1/CommandResponse";
import type { CommandServiceHandlers } from "../gen/hotspot/v1/CommandService";
import type { QueryServiceHandlers } from "../gen/hotspot/v1/QueryService";
import type { StoredEvent__Output } from "../gen/hotspot/v1/StoredEvent";

export type { CommandResponse__Output as CommandResponse, StoredEvent__Output as StoredEvent };
export type CommandMethod = Extract<keyof CommandServiceHandlers, string>;
export type QueryMethod = Extract<keyof QueryServiceHandlers, string>;
export type AuditMethod = "GetCaseAsOf" | "ListAccessRecords" | "VerifyLog" | "ListErasureReviewsDue";

// Where the protos are: HOTSPOT_PROTO_DIR, or the repository's proto/ (dist/src -> ../../../../proto).
const PROTO_DIR = process.env.HOTSPOT_PROTO_DIR ?? path.join(__dirname, "..", "..", "..", "..", "proto");

type Proto = CommandProto & QueryProto & AuditProto & SubscriptionProto;

const PROTO_FILES = [
  "hotspot/v1/command_service.proto",
  "hotspot/v1/query_service.proto",
  "hotspot/v1/audit_service.proto",
  "hotspot/v1/subscription_service.proto",
];

function definitions(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(PROTO_FILES, {
    includeDirs: [PROTO_DIR], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
  });
}

function load(): Proto {
  return grpc.loadPackageDefinition(definitions()) as unknown as Proto;
}

// Method name -> its (hotspot.v1.personal_data) option, as the protos declare it:
// "PERSONAL_DATA_ACCESS_ALWAYS" (the server refuses the call without a purpose),
// "PERSONAL_DATA_ACCESS_BY_PRINCIPAL" (a purpose from those who receive data in clear), or none.
export function personalDataAccess(): Map<string, string> {
  const out = new Map<string, string>();
  for (const definition of Object.values(definitions())) {
    if ("format" in definition) continue; // a message or enum, not a service
    for (const [name, method] of Object.entries(definition as protoLoader.ServiceDefinition)) {
      const options = (method.options ?? {}) as Record<string, unknown>;
      const access = options["(hotspot.v1.personal_data)"];
      if (typeof access === "string") out.set(name, access);
    }
  }
  return out;
}

const PERSONAL_DATA = personalDataAccess();

export class HotspotError extends Error {
  constructor(
    readonly method: string,
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`${method}: ${grpc.status[code]}: ${details}`);
  }
}

// TLS files (PEM). Giving any turns TLS on; without them the channel is plaintext (hotspotd
// serves plaintext on loopback only).
export interface TlsFiles {
  // The CA that signed hotspotd's certificate. Default: the system's CAs.
  caFile?: string;
  // mTLS: the client certificate and its key, both or neither.
  certFile?: string;
  keyFile?: string;
}

// The channel credentials for `tls`.
export function channelCredentials(tls?: TlsFiles): grpc.ChannelCredentials {
  if (!tls || (!tls.caFile && !tls.certFile && !tls.keyFile)) return grpc.credentials.createInsecure();
  if (!tls.certFile !== !tls.keyFile) {
    throw new Error("tls.certFile and tls.keyFile: a client certificate needs its key");
  }
  const read = (file?: string) => (file ? fs.readFileSync(file) : null);
  return grpc.credentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile));
}

export interface ClientOptions {
  // TLS or mTLS; see TlsFiles. Default: plaintext.
  tls?: TlsFiles;
  // Why reads of youths' data are made (recorded in the access log); a read may give its own.
  purpose?: string;
  // Per call. Default 10 s.
  deadlineMs?: number;
  // Attempts after the first: UNAVAILABLE always (commands carry a request id, so a retried
  // command is written once); ABORTED only for commands without a pinned expected_version.
  retries?: number;
  backoffMs?: number;
}

type Unary = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: unknown) => void,
) => void;

export class HotspotClient {
  private readonly commands: grpc.Client;
  private readonly queries: grpc.Client;
  private readonly audits: grpc.Client;
  private readonly subscriptions: grpc.Client;
  private readonly options: Required<Omit<ClientOptions, "purpose" | "tls">> & { purpose?: string };

  // `token`: the bearer token; "" sends none (a client certificate that hotspotd maps to a
  // principal, over mTLS).
  constructor(
    target: string,
    private readonly token: string,
    options: ClientOptions = {},
  ) {
    const proto = load();
    const credentials = channelCredentials(options.tls);
    this.commands = new proto.hotspot.v1.CommandService(target, credentials);
    this.queries = new proto.hotspot.v1.QueryService(target, credentials);
    this.audits = new proto.hotspot.v1.AuditService(target, credentials);
    this.subscriptions = new proto.hotspot.v1.SubscriptionService(target, credentials);
    const { tls: _tls, ...rest } = options;
    this.options = { deadlineMs: 10_000, retries: 3, backoffMs: 100, ...rest };
  }

  close(): void {
    for (const c of [this.commands, this.queries, this.audits, this.subscriptions]) c.close();
  }

  private metadata(method: string, purpose?: string): grpc.Metadata {
    const metadata = new grpc.Metadata();
    if (this.token) metadata.set("authorization", `Bearer ${this.token}`);
    const why = purpose ?? this.options.purpose;
    const access = PERSONAL_DATA.get(method);
    if (access === "PERSONAL_DATA_ACCESS_ALWAYS" && !why) {
      throw new Error(`${method} reads a youth's data: give a purpose`);
    }
    // "-bin": gRPC sends the UTF-8 bytes base64-encoded, so any text (æ, ø, å) passes.
    if (access !== undefined && why) metadata.set("purpose-bin", Buffer.from(why, "utf8"));
    return metadata;
  }

  private async call<T>(
    client: grpc.Client,
    method: string,
    request: object,
    purpose?: string,
    retryAborted = false,
  ): Promise<T> {
    const fn = (client as unknown as Record<string, Unary>)[method];
    if (typeof fn !== "function") throw new Error(`no such method ${method}`);
    for (let attempt = 0; ; ++attempt) {
      try {
        return await new Promise<T>((resolve, reject) => {
          fn.call(
            client,
            request,
            this.metadata(method, purpose),
            { deadline: Date.now() + this.options.deadlineMs },
            (error, response) => (error ? reject(error) : resolve(response as T)),
          );
        });
      } catch (e) {
        const error = e as grpc.ServiceError;
        if (error.code === undefined) throw e;
        const retry =
          error.code === grpc.status.UNAVAILABLE || (error.code === grpc.status.ABORTED && retryAborted);
        if (!retry || attempt >= this.options.retries) {
          throw new HotspotError(method, error.code, error.details);
        }
        await new Promise((r) => setTimeout(r, this.options.backoffMs * 2 ** attempt));
      }
    }
  }

  // Runs a command; a request id is generated if none is given (retries reuse it).
  command(method: CommandMethod, request: Record<string, unknown>): Promise<CommandResponse__Output> {
    const withId = { ...request, request_id: request.request_id ?? randomUUID() };
    const pinned = request.expected_version !== undefined;
    return this.call(this.commands, method, withId, undefined, !pinned);
  }

  query<T = Record<string, unknown>>(method: QueryMethod, request: object, purpose?: string): Promise<T> {
    return this.call<T>(this.queries, method, request, purpose);
  }

  // A unary AuditService call, e.g. audit("ListAccessRecords", { youth_id }).
  audit<T = Record<string, unknown>>(method: AuditMethod, request: object, purpose?: string): Promise<T> {
    return this.call<T>(this.audits, method, request, purpose);
  }

  // Every item of a paged list query, following next_page_token.
  async *pages<T = Record<string, unknown>>(
    method: QueryMethod,
    request: Record<string, unknown>,
    purpose?: string,
  ): AsyncGenerator<T> {
    let page: Record<string, unknown> = { ...request };
    for (;;) {
      const response = await this.query<Record<string, unknown>>(method, page, purpose);
      const items = Object.values(response).find(Array.isArray) as T[] | undefined;
      yield* items ?? [];
      const token = response.next_page_token as string;
      if (!token) return;
      page = { ...page, page_token: token };
    }
  }

  // Every event of a youth's history, in log order.
  async *history(youthId: string, purpose?: string): AsyncGenerator<StoredEvent__Output> {
    const stream = (this.audits as unknown as Record<string, Function>).GetCaseHistory.call(
      this.audits,
      { youth_id: youthId },
      this.metadata("GetCaseHistory", purpose),
      { deadline: Date.now() + this.options.deadlineMs },
    ) as grpc.ClientReadableStream<{ events: StoredEvent__Output[] }>;
    try {
      for await (const response of stream) yield* response.events;
    } catch (e) {
      const error = e as grpc.ServiceError;
      throw new HotspotError("GetCaseHistory", error.code, error.details);
    }
  }

  // Follows the log: each event with its checkpoint, and { event: null, checkpoint } where the
  // log was examined further without an event for this subscriber (a response with no events, or
  // one whose checkpoint lies past its last event, past events the filters left out). Store the
  // checkpoint after handling each item and resume with fromPosition: checkpoint: nothing is
  // lost or repeated, even after a crash in the middle of a batch, since an event's checkpoint is
  // its own position + 1, not the end of its batch (before issue 15 every event of a response
  // carried the response's checkpoint). With untilCaughtUp it stops at the head.
  async *subscribe(options: {
    fromPosition?: number | string;
    categories?: string[];
    eventTypes?: string[];
    areaId?: string;
    maxBatch?: number;
    untilCaughtUp?: boolean;
  } = {}): AsyncGenerator<{ event: StoredEvent__Output | null; checkpoint: string }> {
    const stream = (this.subscriptions as unknown as Record<string, Function>).Subscribe.call(
      this.subscriptions,
      {
        from_position: String(options.fromPosition ?? 1),
        categories: options.categories ?? [],
        event_types: options.eventTypes ?? [],
        area_id: options.areaId ?? "",
        max_batch: options.maxBatch ?? 0,
      },
      this.metadata("Subscribe"),
    ) as grpc.ClientReadableStream<{ events: StoredEvent__Output[]; checkpoint: string; caught_up: boolean }>;
    try {
      for await (const response of stream) {
        let checkpoint: bigint | null = null;
        for (const event of response.events) {
          checkpoint = BigInt(event.position) + 1n;
          yield { event, checkpoint: checkpoint.toString() };
        }
        if (checkpoint === null || BigInt(response.checkpoint) > checkpoint) {
          yield { event: null, checkpoint: response.checkpoint };
        }
        if (options.untilCaughtUp && response.caught_up) return;
      }
    } catch (e) {
      const error = e as grpc.ServiceError;
      if (error.code !== grpc.status.CANCELLED) {
        throw new HotspotError("Subscribe", error.code, error.details);
      }
    } finally {
      stream.cancel();
    }
  }
}
