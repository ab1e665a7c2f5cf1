#!/usr/bin/env bash
# A real Kubernetes API server for the tests: kube-apiserver and kube-controller-manager v1.20.2 built from Debian
# bookworm's `kubernetes` source package, and etcd from Debian's `etcd-server`. No newer API server can be had from
# Debian, Maven Central or npm (Debian's later `kubernetes` packages hold kubectl only).
#
# Built once (about 4.5 minutes on 2 cores, 1.4 GB of memory, 2.2 GB of temporary disk) and cached under
#   ${KILN_CACHE_DIR:-~/.cache/kiln}/kubernetes-1.20.2/{kube-apiserver,kube-controller-manager,etcd}
# where the tests look (see machine-manager's KubeApiServer); a second run finds them there and returns at once.
# Needs apt-get and root (or passwordless sudo) for the Go toolchain; ./kiln test calls it.
# Prints the directory on stdout; progress goes to stderr.
set -euo pipefail

VERSION=1.20.2
# The orig tarball of bookworm's source package is the whole upstream v1.20.2 tree with vendor/.
ORIG=kubernetes_1.20.5+really1.20.2.orig.tar.gz
CACHE="${KILN_CACHE_DIR:-$HOME/.cache/kiln}/kubernetes-$VERSION"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

say() { echo "kube-apiserver.sh: $*" >&2; }

if [ -x "$CACHE/kube-apiserver" ] && [ -x "$CACHE/kube-controller-manager" ] && [ -x "$CACHE/etcd" ]; then
  echo "$CACHE"
  exit 0
fi

command -v apt-get > /dev/null || { say "no apt-get here: cannot build the API server"; exit 2; }
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo -n true 2> /dev/null || { say "needs root or passwordless sudo to install the Go toolchain"; exit 2; }
  sudo="sudo -n"
fi
[ -f "$KEYRING" ] || { say "no $KEYRING (apt-get install debian-archive-keyring)"; exit 2; }

# The Debian mirror this machine already uses (its main archive, not the security one), from deb822 .sources files
# or one-line .list files; deb.debian.org when none is named.
mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2> /dev/null | awk 'BEGIN { RS = ""; FS = "\n" }
    { types = ""; uris = ""; suites = ""
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^Types:/) types = $i
        if ($i ~ /^URIs:/) uris = $i
        if ($i ~ /^Suites:/) suites = $i }
      if (types ~ /[ \t]deb([ \t]|$)/ && uris !~ /security/ && suites ~ /[ \t](bookworm|trixie|bullseye|stable)([ \t]|$)/) {
        sub(/^URIs:[ \t]*/, "", uris); split(uris, u, /[ \t]+/); print u[1]; exit } }')
  if [ -z "$uri" ]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2> /dev/null | sed -e 's/\[[^]]*\]//' \
      | awk '$1 == "deb" && $2 !~ /security/ && $2 ~ /debian/ { print $2; exit }')
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

need=()
[ -x /usr/lib/go-1.19/bin/go ] || need+=(golang-1.19-go)
[ -d /usr/share/gocode/src/github.com/modern-go/reflect2 ] || need+=(golang-github-modern-go-reflect2-dev)
command -v rsync > /dev/null || need+=(rsync)
command -v make > /dev/null || need+=(make)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-kube-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# The source package and etcd's .deb through a private sources list, lists and cache: the machine's own apt state
# is untouched.
mkdir -p lists/partial cache parts src
debian=$(mirror)
printf 'deb-src [signed-by=%s] %s bookworm main\ndeb [signed-by=%s] %s bookworm main\n' \
  "$KEYRING" "$debian" "$KEYRING" "$debian" > sources.list
apt_private=(-o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts="$work/parts"
  -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache" -o APT::Sandbox::User="$(id -un)")
say "fetching Debian's kubernetes source package and etcd-server ($debian, bookworm)"
apt-get "${apt_private[@]}" -qq update
apt-get "${apt_private[@]}" -qq source --download-only kubernetes > /dev/null
[ -f "$ORIG" ] || { say "bookworm's kubernetes source package is not $ORIG any more: $(ls)"; exit 1; }
# etcd unpacked from its .deb rather than installed: installing it would also start a system etcd.service.
apt-get "${apt_private[@]}" -qq download etcd-server > /dev/null
dpkg-deb -x etcd-server_*.deb etcd-root

tar -xzf "$ORIG" -C src --strip-components=1
cd src
# The vendored reflect2 1.0.1 crashes under Go >= 1.18 (SIGSEGV in UnsafeMapType.UnsafeIterate under load); Debian's
# copy is the fixed one.
rm -rf vendor/github.com/modern-go/reflect2
mkdir -p vendor/github.com/modern-go/reflect2
cp -r /usr/share/gocode/src/github.com/modern-go/reflect2/. vendor/github.com/modern-go/reflect2/
mkdir -p .go/src/k8s.io
ln -s ../../.. .go/src/k8s.io/kubernetes
say "building kube-apiserver and kube-controller-manager $VERSION (about 4.5 minutes on 2 cores)"
start=$(date +%s)
PATH=/usr/lib/go-1.19/bin:$PATH GOPATH="$PWD/.go" GOCACHE="$work/gocache" CGO_ENABLED=0 \
  nice make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" > "$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log" >&2; say "build failed"; exit 1; }
say "built in $(( $(date +%s) - start )) s"

# Into the cache as a whole or not at all: a half-written directory would look like a finished one.
mkdir -p "$(dirname "$CACHE")"
staging=$(mktemp -d "$(dirname "$CACHE")/.kubernetes-$VERSION.XXXXXX")
cp _output/bin/kube-apiserver _output/bin/kube-controller-manager "$staging/"
cp "$work/etcd-root/usr/bin/etcd" "$staging/etcd"
chmod 755 "$staging" "$staging"/*
rm -rf "$CACHE"
mv "$staging" "$CACHE"
echo "$CACHE"
