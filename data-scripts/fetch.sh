#!/usr/bin/env bash
# Download, verify and unpack the datasets ConvReLU reads. See data-scripts/README.md
# for the layout produced and for where every digest below comes from.
set -euo pipefail

DATASETS="mr ag_news yelp_full cifar10 cifar100"
OFFLINE_HINT=" (no internet? use FETCH_OFFLINE_ARCHIVE / FETCH_OFFLINE_DIR, or point the config at ../shared/data)"

usage() {
  cat >&2 <<'EOF'
usage: data-scripts/fetch.sh [--keep-archive] DATASET [DEST]

  DATASET  mr | ag_news | yelp_full | cifar10 | cifar100 | all
  DEST     output folder (default: data)

  --keep-archive  also keep the verified archive as DEST/<archive name>

environment:
  FETCH_OFFLINE_ARCHIVE=FILE  use this local archive instead of downloading (one dataset)
  FETCH_OFFLINE_DIR=DIR       use DIR/<archive name> instead of downloading
EOF
  exit "${1:-2}"
}

say()  { printf '%s\n' "$*" >&2; }
die()  { say "fetch.sh: error: $*"; exit 1; }
warn() {
  say "########################################################################"
  say "## WARNING: $*"
  say "########################################################################"
}

# meta NAME: sets URL ARCHIVE TOP (folder in the archive) OUT (folder under DEST)
# FILES (required members of TOP) and the published SIZE MD5 SHA256 ("-" = none known).
meta() {
  SIZE=- MD5=- SHA256=-
  case "$1" in
    mr)
      URL=https://www.cs.cornell.edu/people/pabo/movie-review-data/rt-polaritydata.tar.gz
      TOP=rt-polaritydata OUT=mr FILES="rt-polarity.pos rt-polarity.neg"
      MD5=50c1c2c047b4225e148e97aa7708c34e ;;
    ag_news)
      URL=https://s3.amazonaws.com/fast-ai-nlp/ag_news_csv.tgz
      TOP=ag_news_csv OUT=ag_news_csv FILES="train.csv test.csv classes.txt readme.txt"
      SIZE=11784419 MD5=b86f328f4dbd072486591cb7a5644dcd ;;
    yelp_full)
      URL=https://s3.amazonaws.com/fast-ai-nlp/yelp_review_full_csv.tgz
      TOP=yelp_review_full_csv OUT=yelp_review_full_csv FILES="train.csv test.csv readme.txt"
      SIZE=196146755 MD5=1efd84215ea3e30d90e4c33764b889db
      SHA256=56006b0a17a370f1e366504b1f2c3e3754e4a3dda17d3e718a885c552869a559 ;;
    cifar10)
      URL=https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz
      TOP=cifar-10-batches-bin OUT=cifar-10-batches-bin
      FILES="data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin test_batch.bin batches.meta.txt"
      SIZE=170052171 MD5=c32a1d4ab5d03f1284b67883e8d87530
      SHA256=c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd ;;
    cifar100)
      URL=https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz
      TOP=cifar-100-binary OUT=cifar-100-binary
      FILES="train.bin test.bin coarse_label_names.txt fine_label_names.txt"
      SIZE=168513733 MD5=03b5dce01913d631647c71ecec9e9cb8
      SHA256=58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec ;;
    *) return 1 ;;
  esac
  ARCHIVE=${URL##*/}
}

download() {  # URL OUT
  say "downloading $1"
  if command -v curl >/dev/null; then
    curl -fL --retry 3 --connect-timeout 30 -o "$2" "$1" || die "download of $1 failed$OFFLINE_HINT"
  elif command -v wget >/dev/null; then
    wget --tries=3 -O "$2" "$1" || die "download of $1 failed$OFFLINE_HINT"
  else
    die "need curl or wget to download $1"
  fi
}

# verify_archive FILE DELETE: checks FILE against SIZE MD5 SHA256. On a mismatch the
# file is deleted when DELETE=1 (ours) and kept when 0 (a file the user gave us).
# Sets ARCHIVE_VERIFIED=0 when no digest is known (loud warning, never silent).
verify_archive() {
  local f=$1 size md5 sha
  size=$(wc -c < "$f" | tr -d ' ')
  md5=$(md5sum < "$f" | cut -d' ' -f1)
  sha=$(sha256sum < "$f" | cut -d' ' -f1)
  if [[ $SIZE$MD5$SHA256 == --- ]]; then
    warn "no published checksum is known for $ARCHIVE, so it was NOT verified.
## computed: sha256 $sha
##           md5    $md5, size $size bytes
## Compare these with a trusted copy. The content checks that follow are fatal."
    ARCHIVE_VERIFIED=0
    return 0
  fi
  local report=""
  [[ $SIZE == - || $SIZE == "$size" ]] || report+="  size:   expected $SIZE, actual $size"$'\n'
  [[ $MD5 == - || $MD5 == "$md5" ]] || report+="  md5:    expected $MD5, actual $md5"$'\n'
  [[ $SHA256 == - || $SHA256 == "$sha" ]] || report+="  sha256: expected $SHA256, actual $sha"$'\n'
  if [[ -n $report ]]; then
    say "fetch.sh: error: CHECKSUM MISMATCH for $f ($ARCHIVE from $URL)"
    printf '%s' "$report" >&2
    if [[ $2 == 1 ]]; then rm -f -- "$f"; say "  The file has been deleted. Nothing was unpacked."
    else say "  This is your own file, so it was left in place. Nothing was unpacked."; fi
    exit 1
  fi
  say "verified $ARCHIVE: size $size, md5 $md5, sha256 $sha"
  ARCHIVE_VERIFIED=1
}

# Checks of unpacked files against independently published facts. After a verified
# archive a disagreement only warns (the archive digest is the authority); after an
# unverified one it is fatal.
content_bad() {
  if (( ARCHIVE_VERIFIED )); then warn "$* (the archive itself matched its published digest)"
  else die "$* (and the archive could not be verified either)"; fi
}
check_sha256() {  # FILE HEX, or FILE PREFIX SUFFIX for a truncated digest
  local got; got=$(sha256sum < "$1" | cut -d' ' -f1)
  [[ $got == "$2"* && $got == *"${3:-}" ]] || content_bad "${1##*/}: sha256 $got, expected $2${3:+…$3}"
}
check_lines() {  # FILE N (a final line without newline counts too)
  local n; n=$(LC_ALL=C awk 'END { print NR }' "$1")
  [[ $n == "$2" ]] || content_bad "${1##*/}: $n lines, expected $2"
}
check_size() {  # FILE BYTES
  local n; n=$(wc -c < "$1" | tr -d ' ')
  [[ $n == "$2" ]] || content_bad "${1##*/}: $n bytes, expected $2"
}
content_checks() {  # DIR (the unpacked TOP folder)
  local d=$1 i
  case "$NAME" in
    mr)
      check_lines "$d/rt-polarity.pos" 5331; check_lines "$d/rt-polarity.neg" 5331
      check_sha256 "$d/rt-polarity.pos" 2da124ec dbf8bf0
      check_sha256 "$d/rt-polarity.neg" 4ace77d5 d0eeeaca ;;
    ag_news)
      check_lines "$d/train.csv" 120000; check_lines "$d/test.csv" 7600
      check_sha256 "$d/train.csv" 76a0a2d2f92b286371fe4d4044640910a04a803fdd2538e0f3f29a5c6f6b672e
      check_sha256 "$d/test.csv" 521465c2428ed7f02f8d6db6ffdd4b5447c1c701962353eb2c40d548c3c85699 ;;
    yelp_full)
      check_lines "$d/train.csv" 650000; check_lines "$d/test.csv" 50000 ;;
    cifar10)  # 10,000 records of 1 + 3072 bytes per batch
      for i in 1 2 3 4 5; do check_size "$d/data_batch_$i.bin" 30730000; done
      check_size "$d/test_batch.bin" 30730000 ;;
    cifar100)  # records of 2 + 3072 bytes: 50,000 train, 10,000 test
      check_size "$d/train.bin" 153700000; check_size "$d/test.bin" 30740000 ;;
  esac
}

# process NAME DEST (after `meta NAME`): get, verify, unpack into DEST/$OUT.
process() {
  NAME=$1
  local dest=$2 a own=1 f
  mkdir -p -- "$dest"
  FETCH_TMP=$(mktemp -d "$dest/.fetch-$NAME.XXXXXX")
  trap 'rm -rf -- "$FETCH_TMP"' EXIT
  if [[ -n ${FETCH_OFFLINE_ARCHIVE:-} ]]; then a=$FETCH_OFFLINE_ARCHIVE own=0
  elif [[ -n ${FETCH_OFFLINE_DIR:-} ]]; then a=$FETCH_OFFLINE_DIR/$ARCHIVE own=0
  elif [[ -f $dest/$ARCHIVE ]]; then a=$dest/$ARCHIVE  # kept by an earlier --keep-archive
  else a=$FETCH_TMP/$ARCHIVE; download "$URL" "$a"; fi
  [[ -f $a ]] || die "no such archive: $a"
  say "[$NAME] checking $a"
  verify_archive "$a" "$own"

  mkdir "$FETCH_TMP/x"
  tar -xzf "$a" -C "$FETCH_TMP/x" || die "could not unpack $a"
  local top=$FETCH_TMP/x/$TOP out=$dest/$OUT
  [[ -d $top ]] || die "$ARCHIVE has no $TOP/ folder"
  for f in $FILES; do [[ -f $top/$f ]] || die "$ARCHIVE lacks $TOP/$f"; done
  content_checks "$top"

  mkdir -p -- "$out"
  # The archive's folder, plus loose top-level files such as MR's README.
  find "$top" "$FETCH_TMP/x" -mindepth 1 -maxdepth 1 -type f -exec mv -f -- {} "$out/" \;
  if (( ${KEEP_ARCHIVE:-0} )) && [[ $a != "$dest/$ARCHIVE" ]]; then
    if (( own )); then mv -f -- "$a" "$dest/$ARCHIVE"; else cp -- "$a" "$dest/$ARCHIVE"; fi
  fi
  rm -rf -- "$FETCH_TMP"
  say "[$NAME] done: $out/ ($(cd "$out" && echo *))"
}

main() {
  local arg names keep=0 args=()
  for arg in "$@"; do
    case "$arg" in
      --keep-archive) keep=1 ;;
      -h|--help) usage 0 ;;
      -*) say "fetch.sh: unknown option $arg"; usage ;;
      *) args+=("$arg") ;;
    esac
  done
  (( ${#args[@]} == 1 || ${#args[@]} == 2 )) || usage
  if [[ ${args[0]} == all ]]; then
    names=$DATASETS
    [[ -z ${FETCH_OFFLINE_ARCHIVE:-} ]] || die "FETCH_OFFLINE_ARCHIVE names one archive; use it with one dataset (or FETCH_OFFLINE_DIR with all)"
  elif meta "${args[0]}"; then
    names=${args[0]}
  else
    say "fetch.sh: unknown dataset '${args[0]}'"; usage
  fi
  KEEP_ARCHIVE=$keep
  for arg in $names; do meta "$arg"; process "$arg" "${args[1]:-data}"; done
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
