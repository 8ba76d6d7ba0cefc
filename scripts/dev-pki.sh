# Throw-away keys for development, demos and the shell tests: a CA, a TLS
# certificate for localhost and 127.0.0.1, an RS256 token-signing key, and
# tokens signed with it (openssl only). Never for production: there the
# intranet's identity provider signs the tokens and publishes its keys.
#   source scripts/dev-pki.sh
#   dev_pki DIR                     writes DIR/{ca.pem,server.pem,server.key,jwt.key,jwt.pem}
#   dev_serve_flags DIR             the `whoknows serve` flags that use them
#   dev_token DIR SUBJECT "ROLES" [SECONDS]   prints a token (default 1 day)
DEV_ISSUER=https://dev-idp.whoknows.invalid

dev_pki() {
  local dir=$1
  mkdir -p "$dir"
  [ -f "$dir/jwt.pem" ] && return 0
  (
    cd "$dir"
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout ca.key -out ca.pem -days 30 -subj "/CN=whoknows dev CA" \
      -addext basicConstraints=critical,CA:TRUE \
      -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      "basicConstraints=critical,CA:FALSE" "extendedKeyUsage=serverAuth" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -out server.pem -days 30 -extfile server.ext 2>/dev/null
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out jwt.key 2>/dev/null
    openssl pkey -in jwt.key -pubout -out jwt.pem
    chmod 644 ca.pem server.pem jwt.pem
    rm -f server.csr server.ext ca.srl
  )
}

dev_serve_flags() {
  local dir=$1
  echo "--tls-cert $dir/server.pem --tls-key $dir/server.key" \
    "--jwt-keys $dir/jwt.pem --jwt-issuer $DEV_ISSUER --jwt-audience whoknows"
}

_dev_b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

dev_token() {
  local dir=$1 sub=$2 roles=$3 ttl=${4:-86400} now header payload sig
  now=$(date +%s)
  header=$(printf '{"alg":"RS256","typ":"JWT"}' | _dev_b64url)
  payload=$(printf '{"iss":"%s","aud":"whoknows","sub":"%s","roles":"%s","iat":%d,"exp":%d}' \
    "$DEV_ISSUER" "$sub" "$roles" "$now" "$((now + ttl))" | _dev_b64url)
  sig=$(printf '%s.%s' "$header" "$payload" |
    openssl dgst -sha256 -sign "$dir/jwt.key" -binary | _dev_b64url)
  printf '%s.%s.%s\n' "$header" "$payload" "$sig"
}
