#include "services/server/connection_limit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace hotspot::server {
namespace {

// Marks the eventfd in epoll's data; a descriptor is never this.
constexpr uint64_t kWakeTag = ~uint64_t{0};

// Binds and listens on `address` ("127.0.0.1:0", "[::1]:50051"), non-blocking. The socket and
// its port, or UNAVAILABLE naming "listen".
absl::StatusOr<std::pair<int, int>> Bind(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  std::string host = colon == std::string::npos ? "" : address.substr(0, colon);
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(absl::StrCat("listen: not host:port: ", address));
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  sockaddr_storage storage;
  std::memset(&storage, 0, sizeof storage);
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof *v4;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    length = sizeof *v6;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("listen: not a numeric address: ", address));
  }
  const int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("listen: socket: ", std::strerror(errno)));
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (storage.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 || listen(fd, SOMAXCONN) != 0) {
    const int error = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("listen: cannot bind ", address, ": ", std::strerror(error)));
  }
  socklen_t bound_length = sizeof storage;
  getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &bound_length);
  const int bound = ntohs(storage.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
  return std::make_pair(fd, bound);
}

// The most connections the descriptors allow for `wanted`: RLIMIT_NOFILE's soft limit is raised
// (toward the hard one) only if it is too low.
int FitToDescriptors(int wanted) {
  const rlim_t needed = 2 * static_cast<rlim_t>(wanted) + kReservedDescriptors;
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed) return wanted;
  rlimit raised = limit;
  raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? needed : std::min(needed, limit.rlim_max);
  if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  if (limit.rlim_cur >= needed) return wanted;
  const int fits = limit.rlim_cur > static_cast<rlim_t>(kReservedDescriptors) + 2
                       ? static_cast<int>((limit.rlim_cur - kReservedDescriptors) / 2)
                       : 1;
  LOG(WARNING) << "event=max_connections_lowered max_connections=" << wanted << " to=" << fits
               << " rlimit_nofile=" << limit.rlim_cur
               << " msg=\"each connection needs 2 descriptors, and " << kReservedDescriptors
               << " are kept for the rest: raise the limit (systemd: LimitNOFILE)\"";
  return fits;
}

// The key a source address is counted under (ConnectionLimiter::open_per_source_) and its text
// for the log: an IPv4 address's 4 bytes (also for an IPv4-mapped IPv6 one), an IPv6 address's
// first 8 (its /64).
std::pair<std::string, std::string> SourceOf(const sockaddr_storage& peer) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (peer.ss_family == AF_INET6) {
    const in6_addr& address = reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&address)) {
      const char* v4 = reinterpret_cast<const char*>(address.s6_addr) + 12;
      inet_ntop(AF_INET, v4, text, sizeof text);
      return {std::string(v4, 4), text};
    }
    inet_ntop(AF_INET6, &address, text, sizeof text);
    return {std::string(reinterpret_cast<const char*>(address.s6_addr), 8),
            absl::StrCat(text, "/64")};
  }
  const in_addr& address = reinterpret_cast<const sockaddr_in&>(peer).sin_addr;
  inet_ntop(AF_INET, &address, text, sizeof text);
  return {std::string(reinterpret_cast<const char*>(&address), 4), text};
}

bool Watch(int epoll, int fd, uint32_t events, uint64_t tag) {
  epoll_event event;
  std::memset(&event, 0, sizeof event);
  event.events = events;
  event.data.u64 = tag;
  return epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConnectionLimiter>> ConnectionLimiter::Start(
    const std::vector<std::string>& addresses, ConnectionLimitOptions options,
    std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor,
    prometheus::Registry& registry) {
  if (options.max_connections < 1) {
    return absl::InvalidArgumentError("max_connections: 1 or more");
  }
  if (options.max_connections_per_address < 1) {
    return absl::InvalidArgumentError("max_connections_per_address: 1 or more");
  }
  std::vector<int> listeners;
  std::vector<int> ports;
  auto close_all = [&listeners] {
    for (int fd : listeners) close(fd);
  };
  for (const std::string& address : addresses) {
    absl::StatusOr<std::pair<int, int>> bound = Bind(address);
    if (!bound.ok()) {
      close_all();
      return bound.status();
    }
    listeners.push_back(bound->first);
    ports.push_back(bound->second);
  }
  const int epoll = epoll_create1(EPOLL_CLOEXEC);
  const int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  bool watched = epoll >= 0 && wake >= 0 && Watch(epoll, wake, EPOLLIN, kWakeTag);
  for (int fd : listeners) watched = watched && Watch(epoll, fd, EPOLLIN, fd);
  if (!watched) {
    const int error = errno;
    close_all();
    if (epoll >= 0) close(epoll);
    if (wake >= 0) close(wake);
    return absl::UnavailableError(absl::StrCat("listen: epoll: ", std::strerror(error)));
  }
  const int max_connections = FitToDescriptors(options.max_connections);
  Metrics metrics{
      prometheus::BuildGauge()
          .Name("hotspot_connections_open")
          .Help("Connections open now (gRPC clients, TLS handshakes included)")
          .Register(registry)
          .Add({}),
      prometheus::BuildGauge()
          .Name("hotspot_connections_max")
          .Help("Connections allowed open at once (--max_connections)")
          .Register(registry)
          .Add({}),
      prometheus::BuildCounter()
          .Name("hotspot_connections_accepted_total")
          .Help("Connections accepted and handed to the gRPC server")
          .Register(registry)
          .Add({}),
      prometheus::BuildCounter()
          .Name("hotspot_connections_refused_total")
          .Help("Connections closed at once: past --max_connections or "
                "--max_connections_per_address, or no descriptor left")
          .Register(registry)
          .Add({}),
      prometheus::BuildCounter()
          .Name("hotspot_connections_refused_per_address_total")
          .Help("Connections closed at once past --max_connections_per_address (counted in "
                "hotspot_connections_refused_total too)")
          .Register(registry)
          .Add({}),
  };
  metrics.max.Set(max_connections);
  return std::unique_ptr<ConnectionLimiter>(new ConnectionLimiter(
      std::move(listeners), std::move(ports), max_connections,
      options.max_connections_per_address, options.refusal_log_interval, std::move(acceptor),
      metrics, epoll, wake));
}

ConnectionLimiter::ConnectionLimiter(
    std::vector<int> listeners, std::vector<int> ports, int max_connections,
    int max_connections_per_address, absl::Duration refusal_log_interval,
    std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor, Metrics metrics,
    int epoll, int wake)
    : listeners_(std::move(listeners)),
      ports_(std::move(ports)),
      max_connections_(max_connections),
      max_connections_per_address_(max_connections_per_address),
      refusal_log_interval_(refusal_log_interval),
      acceptor_(std::move(acceptor)),
      metrics_(metrics),
      epoll_(epoll),
      wake_(wake),
      thread_([this] { Run(); }) {}

ConnectionLimiter::~ConnectionLimiter() {
  stop_ = true;
  const uint64_t one = 1;
  (void)!write(wake_, &one, sizeof one);
  thread_.join();
  close(epoll_);
  close(wake_);
}

void ConnectionLimiter::StopAccepting() {
  stop_accepting_ = true;
  const uint64_t one = 1;
  (void)!write(wake_, &one, sizeof one);
  // Returns once no connection is handed to gRPC any more: the server may then shut its
  // listeners down (a connection handed after that would reach a handler gRPC has freed).
  stopped_accepting_.WaitForNotification();
}

void ConnectionLimiter::SetListening(bool on) {
  if (listening_ == on || listeners_closed_) return;
  listening_ = on;
  for (int fd : listeners_) {
    epoll_event event;
    std::memset(&event, 0, sizeof event);
    event.events = on ? uint32_t{EPOLLIN} : 0u;
    event.data.u64 = static_cast<uint64_t>(fd);
    epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &event);
  }
}

void ConnectionLimiter::Run() {
  absl::Time resume_at = absl::InfinitePast();
  epoll_event events[64];
  while (!stop_) {
    if (stop_accepting_ && !listeners_closed_) {
      for (int fd : listeners_) {
        epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
        close(fd);
      }
      listeners_closed_ = true;
      stopped_accepting_.Notify();
    }
    int timeout_ms = -1;
    if (!listening_) {
      if (absl::Now() >= resume_at) {
        SetListening(true);
      } else {
        timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(resume_at - absl::Now())) + 1;
      }
    }
    const int n = epoll_wait(epoll_, events, 64, timeout_ms);
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kWakeTag) {
        uint64_t drained;
        (void)!read(wake_, &drained, sizeof drained);
        continue;
      }
      const int fd = static_cast<int>(tag);
      if (source_of_.contains(fd)) {
        Ended(fd);
        continue;
      }
      if (listeners_closed_ || !listening_) continue;
      // Accepts what waits, within the limit; the rest is refused.
      while (true) {
        sockaddr_storage peer;
        std::memset(&peer, 0, sizeof peer);
        socklen_t peer_length = sizeof peer;
        const int connection = accept4(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length,
                                       SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (connection < 0) {
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            LOG_EVERY_N(WARNING, 100) << "event=accept_failed error=\"" << std::strerror(errno)
                                      << "\" msg=\"accepting again in 100 ms\"";
            SetListening(false);
            resume_at = absl::Now() + absl::Milliseconds(100);
          }
          break;  // EAGAIN: nothing more waits; else that one connection is gone
        }
        if (open_.load(std::memory_order_relaxed) >= max_connections_) {
          Refuse(connection);
          continue;
        }
        auto [source, source_text] = SourceOf(peer);
        const auto from_source = open_per_source_.find(source);
        if (from_source != open_per_source_.end() &&
            from_source->second >= max_connections_per_address_) {
          RefuseFromAddress(connection, source_text, from_source->second);
          continue;
        }
        const int duplicate = fcntl(connection, F_DUPFD_CLOEXEC, 0);
        if (duplicate < 0 || !Watch(epoll_, duplicate, EPOLLRDHUP, duplicate)) {
          if (duplicate >= 0) close(duplicate);
          Refuse(connection);
          continue;
        }
        ++open_per_source_[source];
        source_of_.emplace(duplicate, std::move(source));
        open_.fetch_add(1, std::memory_order_relaxed);
        metrics_.open.Increment();
        metrics_.accepted.Increment();
        const int one = 1;
        setsockopt(connection, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (stop_accepting_) {  // StopAccepting() waits for this thread: hand gRPC no more
          Refuse(connection);
          break;
        }
        grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters handed;
        handed.listener_fd = fd;
        handed.fd = connection;  // gRPC's from here on
        acceptor_->HandleNewConnection(&handed);
      }
    }
  }
  while (!source_of_.empty()) Ended(source_of_.begin()->first);
  if (!listeners_closed_) {
    for (int fd : listeners_) close(fd);
    listeners_closed_ = true;
    stopped_accepting_.Notify();
  }
}

void ConnectionLimiter::Reset(int fd) {
  // RST rather than FIN: nothing of it lingers in TIME_WAIT on the server.
  const linger reset{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  close(fd);
  metrics_.refused.Increment();
}

void ConnectionLimiter::Refuse(int fd) {
  Reset(fd);
  if (refusals_.Count(refusal_log_interval_)) {
    LOG(WARNING) << "event=connections_refused count=" << refusals_.unlogged
                 << " open=" << open_.load(std::memory_order_relaxed)
                 << " max_connections=" << max_connections_
                 << " msg=\"connections past --max_connections are closed at once\"";
    refusals_.Logged();
  }
}

void ConnectionLimiter::RefuseFromAddress(int fd, const std::string& source,
                                          int open_from_source) {
  Reset(fd);
  metrics_.refused_per_address.Increment();
  if (refusals_per_address_.Count(refusal_log_interval_)) {
    LOG(WARNING) << "event=connections_refused_per_address count=" << refusals_per_address_.unlogged
                 << " address=" << source << " open_from_address=" << open_from_source
                 << " max_connections_per_address=" << max_connections_per_address_
                 << " msg=\"connections from one address past --max_connections_per_address are "
                    "closed at once\"";
    refusals_per_address_.Logged();
  }
}

bool ConnectionLimiter::RefusalLog::Count(absl::Duration interval) {
  ++unlogged;
  return absl::Now() - last >= interval;
}

void ConnectionLimiter::Ended(int duplicate) {
  const auto source = source_of_.find(duplicate);
  if (const auto count = open_per_source_.find(source->second); --count->second == 0) {
    open_per_source_.erase(count);
  }
  source_of_.erase(source);
  epoll_ctl(epoll_, EPOLL_CTL_DEL, duplicate, nullptr);
  close(duplicate);
  open_.fetch_sub(1, std::memory_order_relaxed);
  metrics_.open.Decrement();
}

}  // namespace hotspot::server
