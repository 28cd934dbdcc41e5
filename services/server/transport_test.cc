#include "services/server/transport.h"

#include "gtest/gtest.h"

namespace hotspot::server {
namespace {

// A resolver that answers from a table, as /etc/hosts or DNS might.
Resolver Table(std::map<std::string, std::vector<std::string>> table) {
  return [table = std::move(table)](
             const std::string& host) -> absl::StatusOr<std::vector<std::string>> {
    auto it = table.find(host);
    if (it == table.end()) return absl::NotFoundError("Name or service not known");
    return it->second;
  };
}

const Resolver kHosts = Table({
    {"127.evil.example", {"0.0.0.0"}},
    {"localhost", {"127.0.0.1", "::1"}},
    {"127.0.0.1", {"127.0.0.1"}},
    {"::1", {"::1"}},
    {"0.0.0.0", {"0.0.0.0"}},
    {"half.example", {"127.0.0.1", "192.0.2.7"}},
    {"mapped.example", {"::ffff:127.0.0.1"}},
    {"hotspot.kommune.example", {"192.0.2.7", "2001:db8::7"}},
});

TEST(ListenAddressesTest, PlaintextNeedsEveryResolvedAddressToBeLoopback) {
  // The name looks like loopback; what it resolves to decides.
  absl::StatusOr<std::vector<std::string>> evil =
      ListenAddresses("127.evil.example:0", /*plaintext=*/true, kHosts);
  EXPECT_EQ(evil.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(evil.status().message(),
            "listen: plaintext is served on loopback only (127.0.0.0/8, ::1); "
            "\"127.evil.example\" resolves to 0.0.0.0. Give --tls_cert_file and --tls_key_file "
            "to serve other addresses");
  // One loopback address among others is not enough.
  EXPECT_EQ(ListenAddresses("half.example:50051", true, kHosts).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ListenAddresses("0.0.0.0:50051", true, kHosts).status().code(),
            absl::StatusCode::kInvalidArgument);

  // Loopback names bind the addresses that were checked, not the name.
  EXPECT_EQ(*ListenAddresses("localhost:50051", true, kHosts),
            (std::vector<std::string>{"127.0.0.1:50051", "[::1]:50051"}));
  EXPECT_EQ(*ListenAddresses("[::1]:7", true, kHosts), std::vector<std::string>{"[::1]:7"});
  EXPECT_EQ(*ListenAddresses("mapped.example:7", true, kHosts),
            std::vector<std::string>{"[::ffff:127.0.0.1]:7"});
  // Port 0: the first address only (a port picked on one may be taken on another).
  EXPECT_EQ(*ListenAddresses("localhost:0", true, kHosts), std::vector<std::string>{"127.0.0.1:0"});
}

TEST(ListenAddressesTest, TlsServesAnyAddressAHostResolvesTo) {
  EXPECT_EQ(*ListenAddresses("hotspot.kommune.example:443", /*plaintext=*/false, kHosts),
            (std::vector<std::string>{"192.0.2.7:443", "[2001:db8::7]:443"}));
  EXPECT_EQ(*ListenAddresses("127.evil.example:443", false, kHosts),
            std::vector<std::string>{"0.0.0.0:443"});
}

TEST(ListenAddressesTest, MalformedAndUnresolvableAddressesNameListen) {
  for (const char* listen : {"nonsense", ":50051", "host:", "host:70000", "host:-1"}) {
    absl::StatusOr<std::vector<std::string>> bad = ListenAddresses(listen, true, kHosts);
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << listen;
    EXPECT_EQ(bad.status().message().rfind("listen: want host:port", 0), 0) << bad.status();
  }
  absl::StatusOr<std::vector<std::string>> unknown =
      ListenAddresses("nowhere.example:1", false, kHosts);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().message(),
            "listen: cannot resolve \"nowhere.example\": Name or service not known");
}

TEST(ListenAddressesTest, TheSystemResolverResolvesNumericAddressesWithoutTheNetwork) {
  EXPECT_EQ(*ResolveHost("127.0.0.1"), std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(*ResolveHost("::1"), std::vector<std::string>{"::1"});
  EXPECT_EQ(*ResolveHost("0.0.0.0"), std::vector<std::string>{"0.0.0.0"});
  EXPECT_EQ(ListenAddresses("0.0.0.0:0", true).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ListenAddressesTest, LoopbackAddresses) {
  for (const char* yes : {"127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackAddress(yes)) << yes;
  }
  for (const char* no : {"0.0.0.0", "::", "128.0.0.1", "10.0.0.1", "::ffff:10.0.0.1", "::127.0.0.1",
                         "localhost", ""}) {
    EXPECT_FALSE(IsLoopbackAddress(no)) << no;
  }
}

}  // namespace
}  // namespace hotspot::server
