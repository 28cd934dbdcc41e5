// How hotspotd listens: the addresses a --listen names, and the credentials it serves them with.
//
// Plaintext is served on loopback only, and that is decided on the addresses the host resolves
// to, not on its text: "127.evil.example" may resolve to anything. Every resolved address must be
// loopback (127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6), and hotspotd then binds exactly
// those addresses, so that a name cannot resolve one way for the check and another for the bind.
//
// TLS reads its certificate, key and client CA through gRPC's FileWatcherCertificateProvider:
// the files are read again every refresh interval, and new connections use what was read
// (connections already open keep theirs). Replace a file by renaming a complete new one over it,
// the key and the certificate one right after the other: a read between the two renames gets a
// pair that does not match, and handshakes fail until the next read.
//
// Thread-safety: the functions are pure (ListenAddresses calls its resolver once), or read files.
#ifndef HOTSPOT_SERVICES_SERVER_TRANSPORT_H_
#define HOTSPOT_SERVICES_SERVER_TRANSPORT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"

namespace hotspot::server {

struct TlsOptions {
  // PEM files of the server's certificate chain (leaf first) and its private key. Both or
  // neither; neither means plaintext (loopback only). Default: "" (plaintext).
  std::string cert_file;
  std::string key_file;
  // PEM file of the CA(s) whose client certificates are accepted. Set: mTLS, every connection
  // must present a client certificate that this CA signed. Default: "" (no client certificates).
  std::string client_ca_file;
  // How often the three files are read again. At least 1 s. Default: 60 s.
  absl::Duration refresh_interval = absl::Seconds(60);

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

// The numeric addresses a host name resolves to ("127.0.0.1", "::1"); NOT_FOUND if none.
using Resolver = std::function<absl::StatusOr<std::vector<std::string>>(const std::string& host)>;
// getaddrinfo(3), TCP addresses of either family.
absl::StatusOr<std::vector<std::string>> ResolveHost(const std::string& host);

// The addresses to bind for `listen` ("host:port", "[v6]:port"), each as gRPC takes it
// ("127.0.0.1:50051", "[::1]:50051"): every address the host resolves to, or with port 0 the
// first of them only (a port chosen for one address may be taken on another). INVALID_ARGUMENT
// naming `flag` if `listen` is malformed, if its host does not resolve, or if `plaintext` and
// any address it resolves to is not loopback.
absl::StatusOr<std::vector<std::string>> ListenAddresses(const std::string& listen, bool plaintext,
                                                         const Resolver& resolve = ResolveHost,
                                                         absl::string_view flag = "listen");

// Whether a numeric address is loopback: 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104.
bool IsLoopbackAddress(const std::string& numeric);

// The credentials `tls` asks for: insecure if it is not enabled, otherwise TLS from a file
// watcher, with client certificates required and verified if it names a client CA. The files
// are read and checked first: INVALID_ARGUMENT naming the flag (tls_cert_file, tls_key_file,
// tls_client_ca_file) if a file is missing, holds no PEM certificate or key, or if the key is not
// the certificate's; and if only one of the certificate and the key is given, or a client CA
// without them.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const TlsOptions& tls);

}  // namespace hotspot::server

#endif  // HOTSPOT_SERVICES_SERVER_TRANSPORT_H_
