#include "services/security/jwt_verifier.h"

#include <cjose/cjose.h>
#include <curl/curl.h>

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
#include "store/status_macros.h"

namespace hotspot::security {
namespace {

using Json = nlohmann::json;

// A token longer than this is refused unread (gRPC's metadata limit is 8 KiB anyway).
constexpr size_t kMaxTokenBytes = 16 * 1024;

// At most 100 characters of `text`, for a message: what a token or a provider says is not ours
// to echo whole.
std::string Bounded(absl::string_view text) {
  constexpr size_t kMax = 100;
  return text.size() <= kMax ? std::string(text) : absl::StrCat(text.substr(0, kMax), "...");
}

// The JSON in `text`; nullopt if it does not parse (nlohmann's non-throwing parse).
std::optional<Json> ParseJson(absl::string_view text) {
  Json parsed = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

// The string member `name` of `object`; nullopt if it is missing or not a string.
std::optional<std::string> StringMember(const Json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

struct Algorithm {
  absl::string_view name;
  cjose_jwk_kty_t kty;
  int curve;  // for EC: the curve the algorithm signs on; 0 for RSA
};

// The algorithms a token may be signed with: public-key signatures only.
constexpr Algorithm kAlgorithms[] = {
    {"RS256", CJOSE_JWK_KTY_RSA, 0},
    {"RS384", CJOSE_JWK_KTY_RSA, 0},
    {"RS512", CJOSE_JWK_KTY_RSA, 0},
    {"PS256", CJOSE_JWK_KTY_RSA, 0},
    {"PS384", CJOSE_JWK_KTY_RSA, 0},
    {"PS512", CJOSE_JWK_KTY_RSA, 0},
    {"ES256", CJOSE_JWK_KTY_EC, CJOSE_JWK_EC_P_256},
    {"ES384", CJOSE_JWK_KTY_EC, CJOSE_JWK_EC_P_384},
    {"ES512", CJOSE_JWK_KTY_EC, CJOSE_JWK_EC_P_521},
};

const Algorithm* FindAlgorithm(absl::string_view name) {
  for (const Algorithm& algorithm : kAlgorithms) {
    if (algorithm.name == name) return &algorithm;
  }
  return nullptr;
}

struct SigningKey {
  cjose_jwk_t* jwk = nullptr;  // owned by the KeySet
  cjose_jwk_kty_t kty = CJOSE_JWK_KTY_RSA;
  int curve = 0;    // EC only
  std::string alg;  // the key's own "alg"; empty if it names none
};

// Whether `part` is unpadded base64url, as every part of a compact JWS is (RFC 7515): only
// [A-Za-z0-9_-], and not one character over a whole number of bytes. libcjose's decoder asserts
// (aborting the process) on a '=' inside a part, so a token reaches it only if this holds.
bool IsBase64Url(absl::string_view part) {
  if (part.size() % 4 == 1) return false;
  return std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

// The signing keys of one JWKS document, by key id. Immutable once made.
class KeySet {
 public:
  KeySet() = default;
  KeySet(const KeySet&) = delete;
  KeySet& operator=(const KeySet&) = delete;
  ~KeySet() {
    for (auto& [kid, key] : by_kid_) cjose_jwk_release(key.jwk);
  }

  // See the top of jwt_verifier.h for the keys kept. INVALID_ARGUMENT if `jwks` is not a JSON
  // object with a "keys" array, or holds no signing key.
  static absl::StatusOr<std::shared_ptr<const KeySet>> Parse(absl::string_view jwks) {
    const std::optional<Json> document = ParseJson(jwks);
    if (!document.has_value() || !document->is_object() || !document->contains("keys") ||
        !(*document)["keys"].is_array()) {
      return absl::InvalidArgumentError("the JWKS is not a JSON object with a \"keys\" array");
    }
    auto out = std::make_shared<KeySet>();
    for (const Json& member : (*document)["keys"]) {
      if (!member.is_object()) continue;
      const std::optional<std::string> kid = StringMember(member, "kid");
      const std::optional<std::string> kty = StringMember(member, "kty");
      const std::optional<std::string> use = StringMember(member, "use");
      if (!kid.has_value() || kid->empty() || !kty.has_value() || (*kty != "RSA" && *kty != "EC") ||
          (use.has_value() && *use != "sig") || out->by_kid_.contains(*kid)) {
        continue;
      }
      // Debian's libcjose (built with assertions) aborts on a '=' inside a base64url value:
      // a key whose values are not unpadded base64url is left out before it sees them.
      bool encoded = true;
      for (const char* name : {"n", "e", "d", "p", "q", "dp", "dq", "qi", "x", "y"}) {
        const auto value = member.find(name);
        if (value != member.end() &&
            (!value->is_string() || !IsBase64Url(value->get_ref<const std::string&>()))) {
          encoded = false;
        }
      }
      if (!encoded) continue;
      const std::string text = member.dump();
      cjose_err err;
      cjose_jwk_t* jwk = cjose_jwk_import(text.data(), text.size(), &err);
      if (jwk == nullptr) continue;
      SigningKey key;
      key.jwk = jwk;
      key.kty = cjose_jwk_get_kty(jwk, &err);
      key.alg = StringMember(member, "alg").value_or("");
      if (key.kty == CJOSE_JWK_KTY_EC) key.curve = cjose_jwk_EC_get_curve(jwk, &err);
      if ((key.kty != CJOSE_JWK_KTY_RSA && key.kty != CJOSE_JWK_KTY_EC) ||
          (key.kty == CJOSE_JWK_KTY_RSA && cjose_jwk_get_keysize(jwk, &err) < 2048)) {
        cjose_jwk_release(jwk);
        continue;
      }
      out->by_kid_.emplace(*kid, std::move(key));
    }
    if (out->by_kid_.empty()) {
      return absl::InvalidArgumentError(
          "the JWKS holds no signing key (RSA of 2048 bits or more, or EC, with a kid)");
    }
    return std::shared_ptr<const KeySet>(std::move(out));
  }

  const SigningKey* Find(absl::string_view kid) const {
    auto it = by_kid_.find(kid);
    return it == by_kid_.end() ? nullptr : &it->second;
  }
  int size() const { return static_cast<int>(by_kid_.size()); }

 private:
  absl::flat_hash_map<std::string, SigningKey> by_kid_;
};

absl::Status Refused(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("the access token is refused: ", why));
}

// The decoded JSON object of a base64url part of a token.
std::optional<Json> DecodePart(absl::string_view part) {
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(part, &decoded)) return std::nullopt;
  std::optional<Json> json = ParseJson(decoded);
  if (!json.has_value() || !json->is_object()) return std::nullopt;
  return json;
}

// A NumericDate member of the claims ("exp", "nbf"): seconds since the epoch, maybe fractional.
std::optional<absl::Time> TimeMember(const Json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  const double seconds = it->get<double>();
  if (!std::isfinite(seconds) || std::abs(seconds) > 1e12) return std::nullopt;
  return absl::FromUnixMicros(static_cast<int64_t>(seconds * 1e6));
}

std::string Rfc3339(absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()); }

}  // namespace

struct JwtVerifier::State {
  JwtVerifierOptions options;
  KeySetFetcher fetch;
  KeySetObserver observer;

  absl::Mutex mu;
  std::shared_ptr<const KeySet> keys ABSL_GUARDED_BY(mu);  // null until a first fetch succeeds
  absl::Status last_fetch ABSL_GUARDED_BY(mu);               // the last fetch's outcome
  int completed ABSL_GUARDED_BY(mu) = 0;                     // fetches done, good or bad
  bool requested ABSL_GUARDED_BY(mu) = false;                // a call asked for a fetch
  bool fetching ABSL_GUARDED_BY(mu) = false;
  bool stop ABSL_GUARDED_BY(mu) = false;
  // When a call last asked for a fetch (the rate limit), on options.now's clock.
  absl::Time last_requested ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  absl::Time next_fetch ABSL_GUARDED_BY(mu);  // the next fetch by the clock, absl::Now's
  std::thread thread;

  // Fetches and parses a key set, with `mu` not held; records the outcome, and that no fetch is
  // under way; then tells the observer (so that whoever it tells finds the keys in use).
  void FetchOnce() ABSL_LOCKS_EXCLUDED(mu) {
    absl::StatusOr<std::string> document = fetch();
    absl::StatusOr<std::shared_ptr<const KeySet>> parsed =
        document.ok() ? KeySet::Parse(*document) : document.status();
    const absl::Status outcome = parsed.status();
    const int size = parsed.ok() ? (*parsed)->size() : 0;
    {
      absl::MutexLock lock(&mu);
      ++completed;
      fetching = false;
      last_fetch = outcome;
      if (parsed.ok()) keys = *std::move(parsed);
      next_fetch = absl::Now() + (last_fetch.ok() ? options.refresh_interval
                                                  : options.refetch_interval);
    }
    if (observer) observer(outcome, size);
  }

  void Run() ABSL_LOCKS_EXCLUDED(mu) {
    mu.Lock();
    while (true) {
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return stop || requested; };
      mu.AwaitWithDeadline(absl::Condition(&wake), next_fetch);
      if (stop) break;
      if (!requested && absl::Now() < next_fetch) continue;
      requested = false;
      fetching = true;
      mu.Unlock();
      FetchOnce();
      mu.Lock();
    }
    mu.Unlock();
  }

  // The key `kid` names, with the key set that holds it. Never waits for a fetch: for a key id
  // the set does not hold, it asks the verifier's thread for one (see the top of
  // jwt_verifier.h) and answers at once.
  absl::StatusOr<std::pair<std::shared_ptr<const KeySet>, const SigningKey*>> KeyFor(
      const std::string& kid) ABSL_LOCKS_EXCLUDED(mu) {
    absl::MutexLock lock(&mu);
    if (keys != nullptr) {
      if (const SigningKey* key = keys->Find(kid)) return std::make_pair(keys, key);
    }
    const absl::Time now = options.now();
    if (!requested && !fetching && now - last_requested >= options.refetch_interval) {
      last_requested = now;
      requested = true;  // Run() wakes on it when `mu` is released
    }
    const bool pending = requested || fetching;
    if (keys == nullptr) {
      return absl::UnavailableError(absl::StrCat(
          "the identity provider's signing keys could not be fetched yet (", last_fetch.message(),
          pending ? "); they are being fetched again; retry" : "); retry later"));
    }
    if (pending) {
      return absl::UnavailableError(absl::StrCat(
          "key ", Bounded(kid),
          " is unknown; the identity provider's signing keys are being fetched again; retry"));
    }
    if (!last_fetch.ok()) {
      return absl::UnavailableError(absl::StrCat(
          "key ", Bounded(kid), " is unknown, and the identity provider's signing keys could not "
          "be fetched again (", last_fetch.message(), "); retry later"));
    }
    return Refused(absl::StrCat("its key id ", Bounded(kid),
                                " is not among the provider's signing keys (fetched again for an "
                                "unknown key id at most every ",
                                absl::FormatDuration(options.refetch_interval), ")"));
  }
};

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(JwtVerifierOptions options,
                                                                 KeySetFetcher fetch,
                                                                 KeySetObserver observer) {
  if (options.issuer.empty()) return absl::InvalidArgumentError("oidc_issuer: required");
  if (options.audience.empty()) return absl::InvalidArgumentError("oidc_audience: required");
  if (options.leeway < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("oidc_leeway_s: 0 or more");
  }
  if (options.refetch_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("oidc_jwks_refetch_interval_s: must be positive");
  }
  if (options.refresh_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("oidc_jwks_refresh_interval_s: must be positive");
  }
  if (options.person_claim.empty() || options.groups_claim.empty()) {
    return absl::InvalidArgumentError("oidc_person_claim, oidc_groups_claim: must name a claim");
  }
  auto state = std::make_unique<State>();
  state->options = std::move(options);
  state->fetch = std::move(fetch);
  state->observer = std::move(observer);
  state->FetchOnce();
  State* running = state.get();
  state->thread = std::thread([running] { running->Run(); });
  return std::unique_ptr<JwtVerifier>(new JwtVerifier(std::move(state)));
}

JwtVerifier::JwtVerifier(std::unique_ptr<State> state) : state_(std::move(state)) {}

JwtVerifier::~JwtVerifier() {
  {
    absl::MutexLock lock(&state_->mu);
    state_->stop = true;
  }
  state_->thread.join();
}

int JwtVerifier::fetches() const {
  absl::MutexLock lock(&state_->mu);
  return state_->completed;
}

absl::StatusOr<TokenClaims> JwtVerifier::Verify(absl::string_view token) const {
  const JwtVerifierOptions& options = state_->options;
  if (token.size() > kMaxTokenBytes) {
    return Refused(absl::StrCat("it is over ", kMaxTokenBytes, " bytes"));
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return Refused("it is not a JWS in compact form (three parts)");
  const std::optional<Json> header = DecodePart(parts[0]);
  if (!header.has_value()) return Refused("its header is not base64url-encoded JSON");
  const std::string alg = StringMember(*header, "alg").value_or("");
  const Algorithm* algorithm = FindAlgorithm(alg);
  if (algorithm == nullptr) {
    return Refused(absl::StrCat("its algorithm \"", Bounded(alg),
                                "\" is not accepted (RS256/384/512, PS256/384/512, "
                                "ES256/384/512 only)"));
  }
  // RFC 7515 §4.1.11: extensions named critical must be understood, and hotspotd knows none.
  if (header->contains("crit")) {
    return Refused("its header names critical extensions (crit), which are not understood here");
  }
  if (parts[2].empty()) return Refused("it has no signature");
  const std::optional<std::string> kid = StringMember(*header, "kid");
  if (!kid.has_value() || kid->empty()) return Refused("its header names no key id (kid)");

  ASSIGN_OR_RETURN(const auto found, state_->KeyFor(*kid));
  const SigningKey& key = *found.second;
  if (key.kty != algorithm->kty || (key.kty == CJOSE_JWK_KTY_EC && key.curve != algorithm->curve) ||
      (!key.alg.empty() && key.alg != algorithm->name)) {
    return Refused(absl::StrCat("its algorithm ", alg, " does not fit key ", Bounded(*kid)));
  }

  if (!std::all_of(parts.begin(), parts.end(), IsBase64Url)) {
    return Refused("it is not a JWS in compact form (unpadded base64url parts)");
  }
  cjose_err err;
  std::unique_ptr<cjose_jws_t, void (*)(cjose_jws_t*)> jws(
      cjose_jws_import(token.data(), token.size(), &err), cjose_jws_release);
  if (jws == nullptr) return Refused("it does not parse as a JWS");
  if (!cjose_jws_verify(jws.get(), key.jwk, &err)) {
    return Refused(absl::StrCat("its signature does not verify with key ", Bounded(*kid)));
  }
  uint8_t* plaintext = nullptr;
  size_t plaintext_size = 0;
  if (!cjose_jws_get_plaintext(jws.get(), &plaintext, &plaintext_size, &err)) {
    return Refused("its payload cannot be read");
  }
  const std::optional<Json> claims = ParseJson(
      absl::string_view(reinterpret_cast<const char*>(plaintext), plaintext_size));
  if (!claims.has_value() || !claims->is_object()) return Refused("its payload is not a JSON object");

  const std::string issuer = StringMember(*claims, "iss").value_or("");
  if (issuer != options.issuer) {
    return Refused(absl::StrCat("its issuer is \"", Bounded(issuer), "\", not ",
                                options.issuer));
  }
  bool for_us = false;
  if (auto aud = claims->find("aud"); aud != claims->end()) {
    if (aud->is_string()) for_us = aud->get<std::string>() == options.audience;
    if (aud->is_array()) {
      for_us = std::any_of(aud->begin(), aud->end(), [&](const Json& value) {
        return value.is_string() && value.get<std::string>() == options.audience;
      });
    }
  }
  if (!for_us) {
    return Refused(absl::StrCat("its audience is not ", options.audience));
  }
  const absl::Time now = options.now();
  const std::optional<absl::Time> expires = TimeMember(*claims, "exp");
  if (!expires.has_value()) return Refused("it has no expiry (exp)");
  if (now >= *expires + options.leeway) {
    return Refused(absl::StrCat("it expired at ", Rfc3339(*expires)));
  }
  if (claims->contains("nbf")) {
    const std::optional<absl::Time> not_before = TimeMember(*claims, "nbf");
    if (!not_before.has_value()) return Refused("its nbf is not a time");
    if (*not_before > now + options.leeway) {
      return Refused(absl::StrCat("it is not valid before ", Rfc3339(*not_before)));
    }
  }

  TokenClaims out;
  out.subject = StringMember(*claims, "sub").value_or("");
  if (out.subject.empty()) return Refused("it has no subject (sub)");
  out.person = StringMember(*claims, options.person_claim.c_str()).value_or("");
  if (auto groups = claims->find(options.groups_claim); groups != claims->end()) {
    if (groups->is_string()) out.groups.push_back(groups->get<std::string>());
    if (groups->is_array()) {
      for (const Json& group : *groups) {
        if (group.is_string()) out.groups.push_back(group.get<std::string>());
      }
    }
  } else if (auto names = claims->find("_claim_names");
             names != claims->end() && names->is_object()) {
    out.groups_left_out = names->contains(options.groups_claim);
  }
  return out;
}

absl::StatusOr<std::string> HttpsGet(const std::string& url, const HttpsClientOptions& options) {
  if (!absl::StartsWith(url, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat(Bounded(url), ": not an https URL"));
  }
  static absl::once_flag curl_initialized;
  absl::call_once(curl_initialized, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (curl == nullptr) return absl::UnavailableError("https: cannot make a libcurl handle");
  struct Sink {
    std::string body;
    size_t max_bytes;
    bool too_big = false;
  } sink{"", options.max_bytes};
  using Write = size_t (*)(char*, size_t, size_t, void*);
  Write write = [](char* data, size_t size, size_t count, void* user) -> size_t {
    Sink* to = static_cast<Sink*>(user);
    if (to->body.size() + size * count > to->max_bytes) {
      to->too_big = true;
      return 0;  // libcurl then fails the transfer
    }
    to->body.append(data, size * count);
    return size * count;
  };
  char error[CURL_ERROR_SIZE] = "";
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for timeouts
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options.timeout)));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "hotspotd");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  const CURLcode result = curl_easy_perform(c);
  if (sink.too_big) {
    return absl::UnavailableError(
        absl::StrCat(Bounded(url), ": the answer is over ", options.max_bytes, " bytes"));
  }
  if (result != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(
        Bounded(url), ": ", error[0] != '\0' ? error : curl_easy_strerror(result)));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    return absl::UnavailableError(absl::StrCat(Bounded(url), ": answered HTTP ", status));
  }
  return std::move(sink.body);
}

KeySetFetcher ProviderKeySet(std::string issuer, std::string jwks_uri,
                             HttpsClientOptions options) {
  // The discovered jwks_uri is kept once had: the fetcher is called on one thread only.
  auto known_uri = std::make_shared<std::string>(std::move(jwks_uri));
  return [issuer = std::move(issuer), known_uri,
          options = std::move(options)]() -> absl::StatusOr<std::string> {
    if (known_uri->empty()) {
      std::string base = issuer;
      while (!base.empty() && base.back() == '/') base.pop_back();
      const std::string url = base + "/.well-known/openid-configuration";
      ASSIGN_OR_RETURN(const std::string text, HttpsGet(url, options));
      const std::optional<Json> discovery = ParseJson(text);
      if (!discovery.has_value() || !discovery->is_object()) {
        return absl::UnavailableError(absl::StrCat(url, ": not a JSON object"));
      }
      const std::string said = StringMember(*discovery, "issuer").value_or("");
      if (said != issuer) {
        return absl::UnavailableError(absl::StrCat(url, ": its issuer is \"", Bounded(said),
                                                   "\", not ", issuer, " (--oidc_issuer)"));
      }
      const std::string uri = StringMember(*discovery, "jwks_uri").value_or("");
      if (!absl::StartsWith(uri, "https://")) {
        return absl::UnavailableError(absl::StrCat(url, ": no https jwks_uri"));
      }
      *known_uri = uri;
    }
    return HttpsGet(*known_uri, options);
  };
}

}  // namespace hotspot::security
