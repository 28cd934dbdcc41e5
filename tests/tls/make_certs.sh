#!/bin/sh
# Makes a throwaway PKI for the TLS tests in DIR, with the openssl binary (nothing downloaded):
#   ca.pem                          the CA that signed the server's certificate (clients trust it)
#   server.pem server.key           hotspotd's: SAN DNS:localhost, IP:127.0.0.1, IP:::1
#   client-ca.pem                   the CA of client certificates (hotspotd's --tls_client_ca_file)
#   client.pem client.key           CN=system-case-records, SAN URI:spiffe://kommune.test/case-records
#   operator.pem operator.key       CN=operator-workstation (the client map does not list it)
#   client-map                      maps the client certificate to the demo's integration
# Two runs make two PKIs that trust nothing of each other: the tests' "other CA".
# EC P-256 keys (fast to make), valid for two days.
#
#   tests/tls/make_certs.sh DIR
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077

# ca NAME SUBJECT: a self-signed CA certificate NAME.pem and its key NAME.key.
ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "$2" -keyout "$1.key" -out "$1.pem" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# leaf NAME CA SUBJECT EXTENSIONS: NAME.pem signed by CA, and its key NAME.key.
leaf() {
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$3" \
    -keyout "$1.key" -out "$1.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
    -CAserial "$2.srl" -days 2 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

ca ca "/CN=hotspot test server CA"
ca client-ca "/CN=hotspot test client CA"
leaf server ca "/CN=hotspotd" "extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
leaf client client-ca "/O=Copenhagen/CN=system-case-records" "extendedKeyUsage=clientAuth
subjectAltName=URI:spiffe://kommune.test/case-records"
leaf operator client-ca "/CN=operator-workstation" "extendedKeyUsage=clientAuth"

cat > client-map <<'EOF'
# client certificate -> principal (hotspotd --tls_client_map_file)
cn:system-case-records system-case-records agency-social-copenhagen integration area-sjaelor-boulevard
EOF
chmod 644 *.pem client-map
