#include "services/server/transport.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "store/status_macros.h"

namespace hotspot::server {
namespace {

struct HostPort {
  std::string host;  // without the brackets of "[v6]"
  int port = 0;
};

// Parses "host:port" or "[v6]:port". INVALID_ARGUMENT naming `flag` otherwise.
absl::StatusOr<HostPort> ParseListen(const std::string& listen, absl::string_view flag) {
  const size_t colon = listen.rfind(':');
  HostPort out;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &out.port) || out.port < 0 || out.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": want host:port (port 0 picks a free one), got \"", listen, "\""));
  }
  out.host = listen.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  return out;
}

std::string WithPort(const std::string& numeric, int port) {
  return numeric.find(':') == std::string::npos ? absl::StrCat(numeric, ":", port)
                                                : absl::StrCat("[", numeric, "]:", port);
}

// The text of `path`; INVALID_ARGUMENT naming `flag` if it cannot be read.
absl::StatusOr<std::string> ReadPem(absl::string_view flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* x509) const { X509_free(x509); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

Bio MemoryBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The first certificate of a PEM text; INVALID_ARGUMENT naming `flag` if there is none.
absl::StatusOr<std::unique_ptr<X509, X509Free>> FirstCertificate(absl::string_view flag,
                                                                 const std::string& path,
                                                                 const std::string& pem) {
  Bio bio = MemoryBio(pem);
  std::unique_ptr<X509, X509Free> certificate(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (certificate == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", path, " holds no PEM certificate"));
  }
  return certificate;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ResolveHost(const std::string& host) {
  addrinfo hints;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (const int error = getaddrinfo(host.c_str(), nullptr, &hints, &found); error != 0) {
    return absl::NotFoundError(gai_strerror(error));
  }
  std::vector<std::string> out;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char numeric[NI_MAXHOST];
    if (getnameinfo(a->ai_addr, a->ai_addrlen, numeric, sizeof numeric, nullptr, 0,
                    NI_NUMERICHOST) == 0 &&
        std::find(out.begin(), out.end(), numeric) == out.end()) {
      out.emplace_back(numeric);
    }
  }
  freeaddrinfo(found);
  if (out.empty()) return absl::NotFoundError("no addresses");
  return out;
}

bool IsLoopbackAddress(const std::string& numeric) {
  in_addr v4;
  if (inet_pton(AF_INET, numeric.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, numeric.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

absl::StatusOr<std::vector<std::string>> ListenAddresses(const std::string& listen, bool plaintext,
                                                         const Resolver& resolve,
                                                         absl::string_view flag) {
  ASSIGN_OR_RETURN(const HostPort parsed, ParseListen(listen, flag));
  absl::StatusOr<std::vector<std::string>> resolved = resolve(parsed.host);
  if (!resolved.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot resolve \"", parsed.host,
                                                   "\": ", resolved.status().message()));
  }
  if (plaintext) {
    for (const std::string& address : *resolved) {
      if (!IsLoopbackAddress(address)) {
        return absl::InvalidArgumentError(absl::StrCat(
            flag, ": plaintext is served on loopback only (127.0.0.0/8, ::1); \"", parsed.host,
            "\" resolves to ", absl::StrJoin(*resolved, ", "),
            flag == "listen" ? ". Give --tls_cert_file and --tls_key_file to serve other addresses"
                             : ""));
      }
    }
  }
  std::vector<std::string> out;
  for (const std::string& address : *resolved) {
    out.push_back(WithPort(address, parsed.port));
    if (parsed.port == 0) break;
  }
  return out;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const TlsOptions& tls) {
  if (!tls.enabled()) {
    if (!tls.client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "tls_client_ca_file: needs --tls_cert_file and --tls_key_file (mTLS is TLS first)");
    }
    return grpc::InsecureServerCredentials();
  }
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(tls.cert_file.empty() ? "tls_cert_file" : "tls_key_file",
                     ": TLS needs both --tls_cert_file and --tls_key_file"));
  }
  if (tls.refresh_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError("tls_refresh_interval_s: at least 1");
  }
  // Checked now so that a wrong file stops the start with a message, rather than failing every
  // handshake later. The watcher reads them again itself.
  ASSIGN_OR_RETURN(const std::string cert_pem, ReadPem("tls_cert_file", tls.cert_file));
  ASSIGN_OR_RETURN(const auto certificate,
                   FirstCertificate("tls_cert_file", tls.cert_file, cert_pem));
  ASSIGN_OR_RETURN(const std::string key_pem, ReadPem("tls_key_file", tls.key_file));
  Bio key_bio = MemoryBio(key_pem);
  const std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tls_key_file: ", tls.key_file, " holds no PEM private key (or it is encrypted)"));
  }
  if (X509_check_private_key(certificate.get(), key.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls_key_file: ", tls.key_file, " is not the key of ", tls.cert_file));
  }
  if (!tls.client_ca_file.empty()) {
    ASSIGN_OR_RETURN(const std::string ca_pem, ReadPem("tls_client_ca_file", tls.client_ca_file));
    RETURN_IF_ERROR(FirstCertificate("tls_client_ca_file", tls.client_ca_file, ca_pem).status());
  }

  const unsigned int refresh_s =
      static_cast<unsigned int>(absl::ToInt64Seconds(tls.refresh_interval));
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key_file, tls.cert_file, tls.client_ca_file, refresh_s);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (tls.client_ca_file.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace hotspot::server
