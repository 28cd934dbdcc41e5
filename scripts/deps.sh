#!/usr/bin/env bash
# Installs what the project builds and tests with: Debian bookworm packages, then the npm
# packages pinned in package-lock.json (buf). Idempotent and quick when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libabsl-dev librocksdb-dev libssl-dev libgoogle-glog-dev libgflags-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  prometheus-cpp-dev  # /metrics (no "lib" prefix in its name)
  grpc-proto          # grpc.health.v1 and grpc.reflection.v1/v1alpha protos (/usr/share/grpc-proto)
  libcjose-dev libcurl4-openssl-dev nlohmann-json3-dev  # OIDC access tokens (JWS, JWKS, HTTPS)
  python3-grpcio python3-protobuf python3-pytest
  golang-go golang-google-protobuf-dev golang-google-grpc-dev protoc-gen-go protoc-gen-go-grpc
  chromium  # hotspotctl report --pdf, and the report's rendering test (headless)
  openssl   # the TLS tests make a throwaway CA and certificates at run time (tests/tls/)
  postgresql-15 libpq-dev  # the PostgreSQL engines of store/ (libpq) and their tests' throwaway server
  patroni etcd-server etcd-client curl  # scripts/pg_cluster.sh: the loopback cluster of the failover test
  clang-14 libclang-rt-14-dev  # the libFuzzer targets (tests/fuzz, build-fuzz/): clang, libFuzzer, ASan, UBSan
)

# Node.js and npm come with the machine image; Debian's packages stand in where they do not.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages, exactly as locked; again only when something changed.
if [ ! -x node_modules/.bin/buf ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "deps: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

# The TypeScript client's packages (clients/node), exactly as locked.
if [ ! -d clients/node/node_modules/@grpc/grpc-js ] ||
   [ clients/node/package-lock.json -nt clients/node/node_modules/.package-lock.json ]; then
  echo "deps: npm ci (clients/node)" >&2
  (cd clients/node && npm ci --no-audit --no-fund --loglevel=error)
fi
