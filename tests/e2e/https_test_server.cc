#include "tests/e2e/https_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace hotspot::testing {
namespace {

std::string OpenSslError() {
  char text[256];
  ERR_error_string_n(ERR_get_error(), text, sizeof text);
  return text;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpsTestServer>> HttpsTestServer::Start(
    const std::string& cert_file, const std::string& key_file) {
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up mid-answer must not end the test
  SSL_CTX* context = SSL_CTX_new(TLS_server_method());
  if (context == nullptr ||
      SSL_CTX_use_certificate_chain_file(context, cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(context, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    const std::string why = OpenSslError();
    SSL_CTX_free(context);
    return absl::InternalError(absl::StrCat("https test server: ", why));
  }
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof address;
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener, 16) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    if (listener >= 0) close(listener);
    SSL_CTX_free(context);
    return absl::InternalError("https test server: cannot listen on 127.0.0.1");
  }
  std::unique_ptr<HttpsTestServer> server(
      new HttpsTestServer(context, listener, ntohs(address.sin_port)));
  server->thread_ = std::thread([raw = server.get()] { raw->Run(); });
  return server;
}

HttpsTestServer::HttpsTestServer(SSL_CTX* context, int listener, int port)
    : context_(context), listener_(listener), port_(port) {}

HttpsTestServer::~HttpsTestServer() {
  shutdown(listener_, SHUT_RDWR);  // the blocked accept() returns
  thread_.join();
  close(listener_);
  SSL_CTX_free(context_);
}

std::string HttpsTestServer::origin() const { return absl::StrCat("https://127.0.0.1:", port_); }

void HttpsTestServer::Serve(const std::string& path, std::string body) {
  absl::MutexLock lock(&mu_);
  bodies_[path] = std::move(body);
}

int HttpsTestServer::Requests(const std::string& path) const {
  absl::MutexLock lock(&mu_);
  auto it = requests_.find(path);
  return it == requests_.end() ? 0 : it->second;
}

void HttpsTestServer::Run() {
  while (true) {
    const int connection = accept(listener_, nullptr, nullptr);
    if (connection < 0) return;  // shut down
    timeval timeout{5, 0};        // a client that stalls does not stall the server for ever
    setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    Answer(connection);
    close(connection);
  }
}

void HttpsTestServer::Answer(int connection) {
  SSL* ssl = SSL_new(context_);
  SSL_set_fd(ssl, connection);
  if (SSL_accept(ssl) != 1) {
    SSL_free(ssl);
    return;
  }
  std::string request;
  char buffer[4096];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 64 * 1024) {
    const int read = SSL_read(ssl, buffer, sizeof buffer);
    if (read <= 0) break;
    request.append(buffer, read);
  }
  // "GET /path HTTP/1.1"
  const std::vector<std::string> first =
      absl::StrSplit(request.substr(0, request.find("\r\n")), ' ');
  std::string response;
  if (first.size() == 3 && first[0] == "GET") {
    absl::MutexLock lock(&mu_);
    ++requests_[first[1]];
    auto body = bodies_.find(first[1]);
    response = body == bodies_.end()
                   ? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                   : absl::StrCat("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                  "Content-Length: ",
                                  body->second.size(), "\r\nConnection: close\r\n\r\n",
                                  body->second);
  } else {
    response = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  }
  SSL_write(ssl, response.data(), static_cast<int>(response.size()));
  SSL_shutdown(ssl);
  SSL_free(ssl);
}

}  // namespace hotspot::testing
