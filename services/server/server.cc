#include "services/server/server.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "services/security/key_store.h"
#include "services/server/admin_service.h"
#include "store/event_store.h"
#include "store/status_macros.h"

namespace hotspot::server {
namespace {

struct HostPort {
  std::string host;
  int port = 0;
};

// Parses "host:port" or "[v6]:port". INVALID_ARGUMENT naming the listen field otherwise.
absl::StatusOr<HostPort> ParseListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  HostPort out;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &out.port) || out.port < 0 || out.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen: want host:port (port 0 picks a free one), got \"", listen, "\""));
  }
  out.host = listen.substr(0, colon);
  return out;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

}  // namespace

struct HotspotServer::Impl {
  std::unique_ptr<store::EventStore> events;
  std::unique_ptr<security::KeyStore> keys;
  AdminService admin;
  std::unique_ptr<grpc::Server> server;
  std::string address;
  bool shut_down = false;
};

HotspotServer::HotspotServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HotspotServer::~HotspotServer() { Shutdown(absl::ZeroDuration()); }

const std::string& HotspotServer::address() const { return impl_->address; }

absl::StatusOr<std::unique_ptr<HotspotServer>> HotspotServer::Start(ServerOptions options) {
  ASSIGN_OR_RETURN(HostPort listen, ParseListen(options.listen));
  if (!IsLoopback(listen.host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen: plaintext is served on loopback only (127.0.0.0/8, localhost, [::1]); got \"",
        listen.host, "\""));
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("data_dir: cannot create ", options.data_dir, ": ", ec.message()));
  }

  auto impl = std::make_unique<Impl>();
  store::Options store_options;
  store_options.sync = options.sync;
  ASSIGN_OR_RETURN(impl->events,
                   store::EventStore::Open(std::move(store_options), options.data_dir + "/events"));
  security::KeyStoreOptions key_options;
  key_options.master_key_file =
      options.master_key_file.empty() ? options.data_dir + "/master.key" : options.master_key_file;
  ASSIGN_OR_RETURN(impl->keys, security::KeyStore::Open(key_options, options.data_dir + "/keys"));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&impl->admin);
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("listen: cannot bind ", options.listen));
  }
  impl->address = absl::StrCat(listen.host, ":", port);
  return std::unique_ptr<HotspotServer>(new HotspotServer(std::move(impl)));
}

void HotspotServer::Shutdown(absl::Duration grace) {
  if (impl_->shut_down) return;
  impl_->shut_down = true;
  if (impl_->server) {
    impl_->server->Shutdown(absl::ToChronoTime(absl::Now() + grace));
    impl_->server->Wait();
  }
  // The stores close after the last call: the event store completes every accepted append.
  impl_->events.reset();
  impl_->keys.reset();
}

}  // namespace hotspot::server
