// HttpsTestServer: a tiny HTTPS server on 127.0.0.1 for tests, standing in for an OIDC provider
// (its discovery document and its JWKS). It serves the bodies it was given, by path, and counts
// the requests for each path. HTTP/1.1 GET only, one connection at a time, each closed after its
// answer; OpenSSL, with the certificate and key it is started with.
//
// Thread-safety: Serve() and Requests() may be called from any thread while it serves.
#ifndef HOTSPOT_TESTS_E2E_HTTPS_TEST_SERVER_H_
#define HOTSPOT_TESTS_E2E_HTTPS_TEST_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace hotspot::testing {

class HttpsTestServer {
 public:
  // Listens on 127.0.0.1 on a free port with the PEM certificate chain and key. INTERNAL saying
  // why if it cannot.
  static absl::StatusOr<std::unique_ptr<HttpsTestServer>> Start(const std::string& cert_file,
                                                                const std::string& key_file);
  ~HttpsTestServer();  // stops serving

  // "https://127.0.0.1:<port>"
  std::string origin() const;
  // From now on, GET `path` answers 200 with `body` (JSON); paths never served answer 404.
  void Serve(const std::string& path, std::string body);
  // GET requests for `path` answered so far (404s included).
  int Requests(const std::string& path) const;

 private:
  HttpsTestServer(SSL_CTX* context, int listener, int port);
  void Run();
  void Answer(int connection);

  SSL_CTX* const context_;
  const int listener_;
  const int port_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> bodies_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> requests_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace hotspot::testing

#endif  // HOTSPOT_TESTS_E2E_HTTPS_TEST_SERVER_H_
