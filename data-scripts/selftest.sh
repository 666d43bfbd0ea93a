#!/usr/bin/env bash
# shellcheck disable=SC2016  # the `bash -c '...'` snippets expand $1.. themselves
# Offline self-test of fetch.sh: argument handling, checksum verification (against real
# local files with published digests, when ../shared/data is there), and verify+unpack
# of small fake archives built in a temp folder. No network. Usage: data-scripts/selftest.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FETCH=$HERE/fetch.sh
SHARED=${SHARED_DATA:-$(cd "$HERE/../.." && pwd)/shared/data}
T=$(mktemp -d "${TMPDIR:-/tmp}/fetch-selftest.XXXXXX")
trap 'rm -rf -- "$T"' EXIT
passed=0 failed=0

ok()  { passed=$((passed + 1)); echo "ok    $*"; }
bad() { failed=$((failed + 1)); echo "FAIL  $*"; sed 's/^/      | /' "$T/log"; }
run() {  # WANT_RC DESC CMD...: runs CMD with its output in $T/log, checks the exit status
  local want=$1 desc=$2 rc=0; shift 2
  "$@" > "$T/log" 2>&1 || rc=$?
  if [[ $rc == "$want" ]]; then ok "$desc (exit $rc)"; else bad "$desc: exit $rc, wanted $want"; fi
}
has()    { if grep -qF -- "$1" "$T/log"; then ok "  says: $1"; else bad "  output lacks: $1"; fi; }
hasnt()  { if grep -qF -- "$1" "$T/log"; then bad "  output has: $1"; else ok "  does not say: $1"; fi; }
exists() { local f; for f; do if [[ -e $f ]]; then ok "  exists: ${f#"$T"/}"; else bad "  missing: ${f#"$T"/}"; fi; done; }
absent() { local f; for f; do if [[ -e $f ]]; then bad "  should not exist: ${f#"$T"/}"; else ok "  absent: ${f#"$T"/}"; fi; done; }
digest() { "$1" < "$2" | cut -d' ' -f1; }
lines()  { seq "$2" | awk '{ printf "\"%d\",\"row %d\"\n", $1 % 5 + 1, $1 }' > "$1"; }

# fake NAME ARCHIVE DEST [VAR=VALUE...]: fetch.sh's own verify+unpack on a local archive,
# expecting that archive's real digests (as if they were the published ones).
fake() {
  local name=$1 arc=$2 dest=$3; shift 3
  ( # shellcheck source=fetch.sh
    source "$FETCH"; meta "$name"
    SIZE=$(wc -c < "$arc" | tr -d ' ') MD5=$(digest md5sum "$arc") SHA256=$(digest sha256sum "$arc")
    FETCH_OFFLINE_ARCHIVE=$arc
    local kv; for kv in "$@"; do eval "$kv"; done
    process "$name" "$dest" )
}

echo "== building fake archives in $T"
S=$T/stage; A=$T/archives; mkdir -p "$S" "$A"
mkdir -p "$S/mr/rt-polaritydata" "$S/ag/ag_news_csv" "$S/yelp/yelp_review_full_csv" \
         "$S/c10/cifar-10-batches-bin" "$S/c100/cifar-100-binary"
for i in $(seq 5331); do printf 'clich\351 %d .\n' "$i"; done > "$S/mr/rt-polaritydata/rt-polarity.pos"  # latin-1 byte
for i in $(seq 5331); do printf 'dull %d .\n' "$i"; done > "$S/mr/rt-polaritydata/rt-polarity.neg"
echo "fake readme" > "$S/mr/rt-polaritydata.README.1.0.txt"
tar -czf "$A/rt-polaritydata.tar.gz" -C "$S/mr" rt-polaritydata.README.1.0.txt rt-polaritydata
lines "$S/ag/ag_news_csv/train.csv" 120000; lines "$S/ag/ag_news_csv/test.csv" 7600
printf 'World\nSports\nBusiness\nSci/Tech\n' > "$S/ag/ag_news_csv/classes.txt"
echo "fake readme" > "$S/ag/ag_news_csv/readme.txt"
tar -czf "$A/ag_news_csv.tgz" -C "$S/ag" ag_news_csv
lines "$S/yelp/yelp_review_full_csv/train.csv" 650000; lines "$S/yelp/yelp_review_full_csv/test.csv" 50000
echo "fake readme" > "$S/yelp/yelp_review_full_csv/readme.txt"
tar -czf "$A/yelp_review_full_csv.tgz" -C "$S/yelp" yelp_review_full_csv
for f in data_batch_1 data_batch_2 data_batch_3 data_batch_4 data_batch_5 test_batch; do
  head -c 6146 /dev/urandom > "$S/c10/cifar-10-batches-bin/$f.bin"  # 2 records, not 10,000
done
printf 'airplane\nautomobile\n' > "$S/c10/cifar-10-batches-bin/batches.meta.txt"
echo "<html></html>" > "$S/c10/cifar-10-batches-bin/readme.html"
tar -czf "$A/cifar-10-binary.tar.gz" -C "$S/c10" cifar-10-batches-bin
head -c 6148 /dev/urandom > "$S/c100/cifar-100-binary/train.bin"
head -c 3074 /dev/urandom > "$S/c100/cifar-100-binary/test.bin"
printf 'aquatic_mammals\n' > "$S/c100/cifar-100-binary/coarse_label_names.txt"
printf 'apple\n' > "$S/c100/cifar-100-binary/fine_label_names.txt"
tar -czf "$A/cifar-100-binary.tar.gz" -C "$S/c100" cifar-100-binary
tar -czf "$A/cifar100-missing-test.tar.gz" -C "$S/c100" --exclude=test.bin cifar-100-binary
echo "this is not gzip" > "$A/not-a-tarball.tar.gz"

echo "== arguments"
run 2 "no arguments prints usage" "$FETCH"; has "usage: data-scripts/fetch.sh"
run 2 "unknown dataset" "$FETCH" nosuch; has "unknown dataset 'nosuch'"
run 2 "unknown option" "$FETCH" --frobnicate mr; has "unknown option --frobnicate"
run 2 "too many arguments" "$FETCH" mr "$T/d" extra
run 0 "--help" "$FETCH" --help; has "mr | ag_news | yelp_full | cifar10 | cifar100 | all"
run 1 "FETCH_OFFLINE_ARCHIVE with all" env FETCH_OFFLINE_ARCHIVE="$A/ag_news_csv.tgz" "$FETCH" all "$T/d"
has "use it with one dataset"
run 1 "missing offline archive" env FETCH_OFFLINE_ARCHIVE="$T/nonexistent.tgz" "$FETCH" mr "$T/d"
has "no such archive: $T/nonexistent.tgz"

echo "== checksum table"
for name in mr ag_news yelp_full cifar10 cifar100; do
  run 0 "$name: https URL and a published md5 or sha256 digest" bash -c '
    source "$1"; meta "$2"; echo "$URL $SIZE $MD5 $SHA256"
    [[ $URL == https://* && $ARCHIVE == "${URL##*/}" ]] || exit 1
    [[ $MD5 =~ ^[0-9a-f]{32}$ || $SHA256 =~ ^[0-9a-f]{64}$ ]] || exit 1
    [[ $MD5 == - || $MD5 =~ ^[0-9a-f]{32}$ ]] && [[ $SHA256 == - || $SHA256 =~ ^[0-9a-f]{64}$ ]]
    [[ $SIZE == - || $SIZE =~ ^[0-9]+$ ]]' _ "$FETCH" "$name"
done

echo "== verify_archive against real local files with published SHA-256 (../shared/data/README.md)"
if [[ -f $SHARED/ag_news_csv/classes.txt && -f $SHARED/cifar-10-batches-bin/test_batch.bin.gz ]]; then
  check_real() {  # WANT_RC FILE SHA256
    run "$1" "verify ${2#"$SHARED"/} against ${3:0:12}…" bash -c '
      source "$1"; URL=local ARCHIVE=${2##*/} SIZE=- MD5=- SHA256=$3; verify_archive "$2" 0' _ "$FETCH" "$2" "$3"
  }
  check_real 0 "$SHARED/ag_news_csv/classes.txt" 612dbfa932f07a6ed837295a7d5746ce7412e7bb4bc32ba919fdb3cda3a1b9b5
  has "verified classes.txt"
  check_real 0 "$SHARED/cifar-10-batches-bin/test_batch.bin.gz" 27ae0e1ce42c156c20a7e87f67dc90a50876ca6a755a60c608fc646a4ec4b937
  check_real 1 "$SHARED/ag_news_csv/classes.txt" 0000000000000000000000000000000000000000000000000000000000000000
  has "CHECKSUM MISMATCH for $SHARED/ag_news_csv/classes.txt"
  has "expected 0000000000000000000000000000000000000000000000000000000000000000, actual 612dbfa932f07a6ed837295a7d5746ce7412e7bb4bc32ba919fdb3cda3a1b9b5"
  has "left in place"; exists "$SHARED/ag_news_csv/classes.txt"
  run 0 "content check (strict mode) passes on shared test.csv" bash -c '
    source "$1"; NAME=ag_news ARCHIVE_VERIFIED=0
    check_sha256 "$2" dc1bb70b86d41716662feb0909e16ba5b26a0e0f41b5640fddf5c676369bda84' _ "$FETCH" "$SHARED/ag_news_csv/test.csv"
else
  echo "skip  $SHARED not found"
fi

echo "== verify + unpack of fake archives (digests of the fakes stand in for the published ones)"
D=$T/data
run 0 "mr" fake mr "$A/rt-polaritydata.tar.gz" "$D"
has "verified rt-polaritydata.tar.gz"; has "WARNING: rt-polarity.pos: sha256"
exists "$D/mr/rt-polarity.pos" "$D/mr/rt-polarity.neg" "$D/mr/rt-polaritydata.README.1.0.txt"
if cmp -s "$S/mr/rt-polaritydata/rt-polarity.pos" "$D/mr/rt-polarity.pos"; then ok "  bytes unchanged (latin-1)"; else bad "  bytes changed"; fi
run 0 "ag_news" fake ag_news "$A/ag_news_csv.tgz" "$D"
has "WARNING: train.csv: sha256"; hasnt "lines, expected"
exists "$D/ag_news_csv/"{train.csv,test.csv,classes.txt,readme.txt}
run 0 "yelp_full (all content checks pass)" fake yelp_full "$A/yelp_review_full_csv.tgz" "$D"
hasnt "WARNING"; exists "$D/yelp_review_full_csv/"{train.csv,test.csv,readme.txt}
run 0 "cifar10" fake cifar10 "$A/cifar-10-binary.tar.gz" "$D"
has "WARNING: data_batch_1.bin: 6146 bytes, expected 30730000"
exists "$D/cifar-10-batches-bin/"{data_batch_{1,2,3,4,5}.bin,test_batch.bin,batches.meta.txt,readme.html}
run 0 "cifar100 with --keep-archive" fake cifar100 "$A/cifar-100-binary.tar.gz" "$D" KEEP_ARCHIVE=1
exists "$D/cifar-100-binary/"{train.bin,test.bin,coarse_label_names.txt,fine_label_names.txt} "$D/cifar-100-binary.tar.gz"
absent "$D/rt-polaritydata.tar.gz" "$D/ag_news_csv.tgz"
if compgen -G "$D/.fetch-*" > /dev/null; then bad "temp folders left in $D"; else ok "  no temp folders left"; fi

echo "== download path (file:// URL stands in for https), --keep-archive, reuse of a kept archive"
if command -v curl > /dev/null; then
  run 0 "yelp_full downloaded with curl" fake yelp_full "$A/yelp_review_full_csv.tgz" "$T/dl" \
    FETCH_OFFLINE_ARCHIVE= URL="file://$A/yelp_review_full_csv.tgz" KEEP_ARCHIVE=1
  has "downloading file://"; exists "$T/dl/yelp_review_full_csv.tgz" "$T/dl/yelp_review_full_csv/train.csv"
  run 0 "second run reuses the kept archive" fake yelp_full "$A/yelp_review_full_csv.tgz" "$T/dl" \
    FETCH_OFFLINE_ARCHIVE= URL=file:///nonexistent
  has "checking $T/dl/yelp_review_full_csv.tgz"; hasnt "downloading"
else
  echo "skip  curl not installed"
fi

echo "== checksum mismatch through the real CLI (fake archives vs published digests)"
run 1 "cifar10: user's offline archive is refused" env FETCH_OFFLINE_ARCHIVE="$A/cifar-10-binary.tar.gz" "$FETCH" cifar10 "$T/mm"
has "CHECKSUM MISMATCH for $A/cifar-10-binary.tar.gz"
has "md5:    expected c32a1d4ab5d03f1284b67883e8d87530, actual $(digest md5sum "$A/cifar-10-binary.tar.gz")"
has "sha256: expected c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd, actual $(digest sha256sum "$A/cifar-10-binary.tar.gz")"
exists "$A/cifar-10-binary.tar.gz"; absent "$T/mm/cifar-10-batches-bin"
mkdir -p "$T/mm2"; cp "$A/ag_news_csv.tgz" "$T/mm2/"
run 1 "ag_news: corrupt kept archive in DEST is refused and deleted" "$FETCH" ag_news "$T/mm2"
has "CHECKSUM MISMATCH for $T/mm2/ag_news_csv.tgz"; has "expected b86f328f4dbd072486591cb7a5644dcd"
has "has been deleted"; absent "$T/mm2/ag_news_csv.tgz" "$T/mm2/ag_news_csv"
run 1 "mr via FETCH_OFFLINE_DIR" env FETCH_OFFLINE_DIR="$A" "$FETCH" mr "$T/mm3"
has "expected 50c1c2c047b4225e148e97aa7708c34e"; absent "$T/mm3/mr"

echo "== no published digest: loud warning, computed SHA-256 printed, content checks fatal"
run 0 "yelp_full, unknown digest, content checks pass" fake yelp_full "$A/yelp_review_full_csv.tgz" "$T/nd" SIZE=- MD5=- SHA256=-
has "WARNING: no published checksum is known for yelp_review_full_csv.tgz, so it was NOT verified"
has "computed: sha256 $(digest sha256sum "$A/yelp_review_full_csv.tgz")"
run 1 "mr, unknown digest, content check fails" fake mr "$A/rt-polaritydata.tar.gz" "$T/nd" SIZE=- MD5=- SHA256=-
has "NOT verified"; has "error: rt-polarity.pos: sha256"; absent "$T/nd/mr"

echo "== broken archives"
run 1 "archive without a required member" fake cifar100 "$A/cifar100-missing-test.tar.gz" "$T/br"
has "lacks cifar-100-binary/test.bin"; absent "$T/br/cifar-100-binary"
run 1 "not a tarball" fake cifar10 "$A/not-a-tarball.tar.gz" "$T/br"; has "could not unpack"

echo "== $passed passed, $failed failed"
(( failed == 0 ))
