// ConnectionLimiter: hotspotd's listening sockets, and the one place that bounds how many
// connections are open at once.
//
// Why. gRPC 1.51 has no server option for a maximum number of connections (the channel argument
// "grpc.max_allowed_incoming_connections" came with gRPC 1.63), so without this every
// connection a client opens is accepted and kept: each costs a descriptor and HTTP/2 buffers,
// and a client opening them without end runs the process out of descriptors, after which the
// event store cannot open a file.
//
// How. The limiter binds and listens on the addresses itself and accepts on a thread of its own.
// A connection within the limit is handed to the gRPC server through an external connection
// acceptor (ServerBuilder::experimental().AddExternalConnectionAcceptor), which serves it with
// the server's credentials exactly as a port of its own: TLS, mTLS and the handshake are
// gRPC's. The limiter keeps a duplicate of each connection's descriptor and watches it for the
// end of the connection: the peer closing or resetting it, or gRPC shutting it down (gRPC
// shuts a socket down before it closes it). The duplicate is closed then, and the connection
// no longer counts.
//
// Guarantees.
//   - At most `max_connections` connections (over all the addresses) are open at once, counting
//     those still in their TLS handshake.
//   - At most `max_connections_per_address` of them come from one source address (an IPv6
//     address counts by its /64 network, which one host is usually given whole), so that one
//     host, with or without a token, cannot hold every place: the others are still served.
//     Loopback is an address like any other.
//   - A connection beyond the limit is closed at once, before any byte is read or written: the
//     client sees the connection end (its channel goes to TRANSIENT_FAILURE, never READY) and
//     retries with backoff. It is counted, and logged at most once per `refusal_log_interval`
//     with the number refused since the last line (event=connections_refused). A connection
//     past its address's limit is refused the same way, and logged apart, naming the address
//     (event=connections_refused_per_address).
//   - A connection that ends frees its place as soon as the limiter's thread sees it end
//     (usually well under a millisecond).
//
// Descriptors. Each open connection holds two descriptors (gRPC's and the limiter's
// duplicate). At start, if RLIMIT_NOFILE's soft limit is below 2 * max_connections +
// kReservedDescriptors, the soft limit is raised toward the hard one; if even the hard one is too
// low, the limit is lowered to what fits, with a warning (event=max_connections_lowered), rather
// than running out of descriptors later. (Under the systemd unit, LimitNOFILE=65536 suffices and
// setrlimit, which its system call filter forbids, is not called.)
//
// Metrics (in the registry given to Start):
//   hotspot_connections_open               connections open now
//   hotspot_connections_max                the limit in force
//   hotspot_connections_accepted_total     connections handed to the server
//   hotspot_connections_refused_total      connections closed at once, past a limit (or when
//                                          no descriptor was left for them)
//   hotspot_connections_refused_per_address_total
//                                          of those, the ones past max_connections_per_address
//
// Threading. One thread accepts and watches; the accessors are safe from any thread.
//
// Failure. Start returns UNAVAILABLE naming "listen" if an address cannot be bound. If accepting
// fails for want of descriptors or memory, the thread waits 100 ms and goes on (the clients
// waiting in the backlog are then accepted or refused); other accept errors of one connection
// (it was reset before it was accepted) are skipped.
#ifndef HOTSPOT_SERVICES_SERVER_CONNECTION_LIMIT_H_
#define HOTSPOT_SERVICES_SERVER_CONNECTION_LIMIT_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpcpp/server_builder.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace hotspot::server {

// Descriptors kept for everything but connections (the stores' files, the metrics server, the
// OIDC client, gRPC's own).
inline constexpr int kReservedDescriptors = 1024;

struct ConnectionLimitOptions {
  // Connections open at once, over all listening addresses (hotspotd: --max_connections). An
  // integrating system holds one or a few; the 1,000 connections fit with room to
  // spare. Default: 2000.
  int max_connections = 2000;
  // Connections open at once from one source address (an IPv6 /64), so that one host cannot
  // take every place of `max_connections` (hotspotd: --max_connections_per_address). An
  // integrating system holds one or a few; behind a NAT or a proxy, every client shares its
  // address: raise it there. Default: 64.
  int max_connections_per_address = 64;
  // Refused connections are logged at most once per this. Default: 10 s.
  absl::Duration refusal_log_interval = absl::Seconds(10);
};

class ConnectionLimiter {
 public:
  // Binds and listens on `addresses` (numeric, as ListenAddresses gives them: "127.0.0.1:0",
  // "[::1]:50051") and starts accepting, handing each connection within the limit to
  // `acceptor`, which must belong to a server already started (before it starts, gRPC closes
  // what it is handed). The metrics are registered in `registry`, which must outlive the
  // limiter. UNAVAILABLE naming "listen" if an address cannot be bound; INVALID_ARGUMENT naming
  // "max_connections" or "max_connections_per_address" if it is below 1.
  static absl::StatusOr<std::unique_ptr<ConnectionLimiter>> Start(
      const std::vector<std::string>& addresses, ConnectionLimitOptions options,
      std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor,
      prometheus::Registry& registry);

  // Stops accepting (StopAccepting), stops the thread and closes the duplicates; the
  // connections themselves are gRPC's, and stay until the server closes them.
  ~ConnectionLimiter();

  // Closes the listening sockets: connecting clients are refused by the system from here on.
  // Returns once the thread hands gRPC no more connections, so that the server's listeners may
  // be shut down. For a shutdown; idempotent.
  void StopAccepting();

  // The port bound for each address, in order (the one chosen for port 0).
  const std::vector<int>& ports() const { return ports_; }
  // The limit in force: the option's, or lower if the descriptors do not allow it.
  int max_connections() const { return max_connections_; }
  // Connections open now.
  int open() const { return open_.load(std::memory_order_relaxed); }

 private:
  struct Metrics {
    prometheus::Gauge& open;
    prometheus::Gauge& max;
    prometheus::Counter& accepted;
    prometheus::Counter& refused;
    prometheus::Counter& refused_per_address;
  };
  // Refusals not logged yet, and when the last line was: one line per interval at most.
  struct RefusalLog {
    uint64_t unlogged = 0;
    absl::Time last = absl::InfinitePast();
    // Counts a refusal; true if a line is due now (then `unlogged` is the count to log, and is
    // reset by the caller's Logged()).
    bool Count(absl::Duration interval);
    void Logged() {
      unlogged = 0;
      last = absl::Now();
    }
  };

  ConnectionLimiter(std::vector<int> listeners, std::vector<int> ports, int max_connections,
                    int max_connections_per_address, absl::Duration refusal_log_interval,
                    std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor,
                    Metrics metrics, int epoll, int wake);

  void Run();
  // Accepts what `listener` has waiting.
  void AcceptAll(int listener);
  // Closes `fd` at once (a reset), counted in `refused`.
  void Reset(int fd);
  // Reset(), logged as past max_connections (or for want of a descriptor).
  void Refuse(int fd);
  // Reset(), for a connection past the limit of its source address `source` (its text).
  void RefuseFromAddress(int fd, const std::string& source, int open_from_source);
  // The connection watched through `duplicate` ended.
  void Ended(int duplicate);
  void SetListening(bool on);

  const std::vector<int> listeners_;
  const std::vector<int> ports_;
  const int max_connections_;
  const int max_connections_per_address_;
  const absl::Duration refusal_log_interval_;
  const std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor_;
  Metrics metrics_;
  const int epoll_;
  const int wake_;  // eventfd: stop accepting, or stop
  std::atomic<bool> stop_accepting_{false};
  // Set by the thread once it has closed the listeners and hands gRPC no more connections.
  absl::Notification stopped_accepting_;
  std::atomic<bool> stop_{false};
  std::atomic<int> open_{0};
  // Only the thread's.
  bool listening_ = true;
  bool listeners_closed_ = false;
  RefusalLog refusals_;
  RefusalLog refusals_per_address_;
  // The source (a key of `open_per_source_`) of each connection open, by its duplicate.
  absl::flat_hash_map<int, std::string> source_of_;
  // Connections open per source: an IPv4 address's 4 bytes, an IPv6 address's first 8.
  absl::flat_hash_map<std::string, int> open_per_source_;
  std::thread thread_;
};

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_CONNECTION_LIMIT_H_
