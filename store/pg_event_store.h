// The PostgreSQL engine of EventStore (event_store.h): the log in tables of a PostgreSQL database
// that several hotspotd nodes share. docs/postgresql.md has the design; in short:
//
// Writing. One writer thread per node takes the appends waiting (up to max_group_events events)
// as a group and writes them in one transaction: it locks the log's head row (FOR UPDATE: the one
// serialization point; no sequence), stages the group (internal::StageGroup: the same records and
// hash chain as the RocksDB engine) against the heads and event ids the transaction sees, inserts
// the rows, moves the head, and commits with synchronous_commit on. Positions are the head's plus
// one: gap-free, and visible in position order. Once the commit has returned, a second short
// transaction raises the head's `acknowledged` position and notifies the other nodes: readers of
// every node read up to it only, never an event a failover could take back (a commit is visible
// on the primary before its standby has confirmed it).
//
// Reading. Reads ask the database, up to the acknowledged head. A listener connection per node
// (LISTEN) learns of other nodes' commits; it also reads the head every second, in case a
// notification was lost with a connection. Subscriptions read by position from the database.
//
// Failure. A lost connection (a failover) fails the group in flight with UNAVAILABLE: its outcome
// is unknown, and a retry with the same event ids is idempotent (the event-id table is never
// pruned). Every connection is made again on its next use, through the connection string's hosts
// (target_session_attrs=read-write finds the new primary).
//
// Not offered (UNIMPLEMENTED): Checkpoint() (a cluster is backed up with pgBackRest).
// Thread-safety: as EventStore.
#ifndef HOTSPOT_STORE_PG_EVENT_STORE_H_
#define HOTSPOT_STORE_PG_EVENT_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "store/event_store.h"

namespace hotspot::store {

struct PgEventStoreOptions {
  // libpq's connection string; for a cluster, every host and target_session_attrs=read-write.
  // Required.
  std::string conninfo;
  // The tables' prefix: <prefix>_log, _event_ids, _heads, _head. [a-z][a-z0-9_]*.
  // Default: "hotspot".
  std::string prefix = "hotspot";
  // The limits (max_*), clock, before_write and on_commit of the RocksDB engine's options (the
  // rest is not used). on_commit runs on the writer thread after a group's commit, before this
  // node's readers see its events; its sync_time is the group's whole transaction.
  Options limits;
};

// Opens the log (creating its tables if missing). INVALID_ARGUMENT naming the field for bad
// options; UNAVAILABLE if no server takes the connection.
absl::StatusOr<std::unique_ptr<EventStore>> OpenPgEventStore(PgEventStoreOptions options);

}  // namespace hotspot::store

#endif  // HOTSPOT_STORE_PG_EVENT_STORE_H_
