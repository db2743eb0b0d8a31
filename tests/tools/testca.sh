#!/usr/bin/env bash
# testca.sh: creates a throw-away test CA and ECDSA (P-256) leaf certificates with the openssl CLI,
# for integration and scenario tests that need real TLS servers with known-good and known-bad certs.
#
# Usage:
#   testca.sh DIR [SAN...]              create the CA (if DIR/ca.pem is missing) and the standard
#                                       leaves below, each valid for SAN... plus localhost,
#                                       127.0.0.1 and ::1
#   testca.sh --leaf NAME DIR SAN...    issue one more leaf DIR/NAME.{pem,key} for SAN... from the
#                                       CA in DIR (created if missing); for per-host certificates
#   testca.sh -h | --help
#
# A SAN is "DNS:name", "IP:addr", or a bare name/address (an address becomes IP:, anything else
# DNS:). Files written into DIR (all PEM; keys unencrypted; mode 0644 so servers running as another
# user can read them):
#   ca.pem, ca.key                the CA, "Lifeline Test CA": trust ca.pem in the client
#   valid.pem, valid.key          signed by the CA, valid now (from yesterday for 10 years)
#   expired.pem, expired.key      signed by the CA, notBefore 2020-01-01, notAfter 2021-01-01
#   notyet.pem, notyet.key        signed by the CA, valid only from 2090-01-01
#   wrongname.pem, wrongname.key  signed by the CA, valid now, but only for DNS:wrong-name.invalid
#   selfsigned.pem, selfsigned.key  self-signed (not from the CA), same names as valid.pem
# Each leaf .pem holds the leaf certificate only (the CA signs leaves directly, no intermediate).
# Prints nothing on success; exits non-zero with a message on failure. Needs only openssl and bash.
# Re-running regenerates the leaves and keeps an existing CA, so already-trusted ca.pem stays valid.
set -euo pipefail

die() {
  echo "testca.sh: $*" >&2
  exit 1
}

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; }

leaf_name=""
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  usage
  exit 0
fi
if [[ "${1:-}" == "--leaf" ]]; then
  [[ $# -ge 4 ]] || die "--leaf needs NAME DIR and at least one SAN"
  leaf_name=$2
  shift 2
  [[ "$leaf_name" =~ ^[A-Za-z0-9._-]+$ ]] || die "bad leaf name '$leaf_name'"
fi
[[ $# -ge 1 ]] || {
  usage >&2
  exit 2
}
dir=$1
shift
command -v openssl >/dev/null || die "openssl not found"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# san_list SAN... -> "DNS:a,IP:b" for subjectAltName.
san_list() {
  local out="" s
  for s in "$@"; do
    case "$s" in
      DNS:* | IP:*) ;;
      *:*) s="IP:$s" ;; # IPv6 address
      *)
        if [[ "$s" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; then s="IP:$s"; else s="DNS:$s"; fi
        ;;
    esac
    out="${out:+$out,}$s"
  done
  echo "$out"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A minimal `openssl ca` setup: it is the only openssl 3.0 command that sets arbitrary
# notBefore/notAfter dates, which the expired and not-yet-valid certificates need.
mkdir -p "$work/newcerts"
: >"$work/index.txt"
# A random serial per run: leaves issued by separate runs from one CA must not share a serial.
echo "10$(openssl rand -hex 8)" >"$work/serial"
cat >"$work/ca.cnf" <<EOF
[ca]
default_ca = testca
[testca]
dir = $work
database = $work/index.txt
new_certs_dir = $work/newcerts
serial = $work/serial
certificate = $dir/ca.pem
private_key = $dir/ca.key
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no
[policy_any]
commonName = supplied
[leaf_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = \${ENV::TESTCA_SAN}
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
EOF

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [[ ! -s "$dir/ca.pem" || ! -s "$dir/ca.key" ]]; then
  new_key "$dir/ca.key"
  openssl req -new -x509 -key "$dir/ca.key" -out "$dir/ca.pem" -days 3650 -subj "/CN=Lifeline Test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    >/dev/null 2>&1 || die "cannot create the CA"
fi

utc() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

# issue NAME START END SAN...: DIR/NAME.{key,pem} signed by the CA, valid from START to END
# (openssl ca date format YYYYMMDDHHMMSSZ).
issue() {
  local name=$1 start=$2 end=$3
  shift 3
  new_key "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -out "$work/$name.csr" -subj "/CN=$name" 2>/dev/null ||
    die "cannot create the request for $name"
  TESTCA_SAN=$(san_list "$@") openssl ca -batch -notext -config "$work/ca.cnf" -extensions leaf_ext \
    -startdate "$start" -enddate "$end" -in "$work/$name.csr" -out "$dir/$name.pem" >/dev/null 2>"$work/err" ||
    die "cannot sign $name: $(cat "$work/err")"
}

now_start=$(utc "yesterday")
now_end=$(utc "+10 years")

if [[ -n "$leaf_name" ]]; then
  issue "$leaf_name" "$now_start" "$now_end" "$@"
  chmod 0644 "$dir"/*.pem "$dir"/*.key
  exit 0
fi

names=(localhost 127.0.0.1 ::1 "$@")
issue valid "$now_start" "$now_end" "${names[@]}"
issue expired 20200101000000Z 20210101000000Z "${names[@]}"
issue notyet 20900101000000Z 20990101000000Z "${names[@]}"
issue wrongname "$now_start" "$now_end" DNS:wrong-name.invalid

new_key "$dir/selfsigned.key"
openssl req -new -x509 -key "$dir/selfsigned.key" -out "$dir/selfsigned.pem" -days 3650 \
  -subj "/CN=selfsigned" -addext "subjectAltName=$(san_list "${names[@]}")" \
  -addext "basicConstraints=critical,CA:FALSE" >/dev/null 2>&1 || die "cannot create the self-signed cert"

chmod 0644 "$dir"/*.pem "$dir"/*.key
