#!/usr/bin/env bash
# Builds tagwired and the tagwire CLI (Release, Ninja) and installs them with
# the default taxonomy into a prefix. It is the build stage of
# deploy/Dockerfile, and runs the same way on any Debian bookworm machine.
#
#   deploy/build.sh [--build-dir DIR] [--prefix DIR]
#
#   --build-dir DIR  default build/ in the repository. A directory that is
#                    already configured is reused as it is; a new one is
#                    configured for Release without unit tests and benchmarks.
#   --prefix DIR     default /usr/local; gets bin/tagwired, bin/tagwire and
#                    share/tagwire/default.jsonl.gz.
#
# System packages come from scripts/setup, which does nothing when they are
# all installed already.
set -euo pipefail

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit "$1"; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$repo/build
prefix=/usr/local
while (($#)); do
  case $1 in
    --build-dir) build_dir=${2:?--build-dir needs a directory}; shift 2 ;;
    --build-dir=*) build_dir=${1#*=}; shift ;;
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    -h | --help) usage 0 ;;
    *) echo "build.sh: unknown argument '$1'" >&2; usage 2 >&2 ;;
  esac
done
# Relative paths are from where the script was started.
build_dir=$(realpath -m "$build_dir")
prefix=$(realpath -m "$prefix")

cd "$repo"

./scripts/setup

if [[ ! -f $build_dir/build.ninja ]]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DTAGWIRE_BUILD_TESTS=OFF -DTAGWIRE_BUILD_BENCHMARKS=OFF >/dev/null
fi
ninja -C "$build_dir" -j "$(nproc)" tagwired tagwire
# --strip: the image needs no symbols; the build tree keeps them.
cmake --install "$build_dir" --prefix "$prefix" --strip
