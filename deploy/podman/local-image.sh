#!/usr/bin/env bash
# Makes a small image from programs installed on this machine, without an image
# registry: busybox (Debian's busybox-static) for a shell, the programs in
# /usr/local/bin, and the shared libraries `ldd` lists for each, imported with
# `podman import`. Where no registry is reachable (this project's CI) it stands in
#   - for the official node:<line>-bookworm-slim image (program `node`: npm comes
#     too, and a `node` user, uid 1000, as in the official image):
#       deploy/podman/local-image.sh localhost/node-base:20 node
#       podman build --build-arg BASE=localhost/node-base:20 --build-arg DEPS=context ...
#   - for prom/prometheus (Debian's `prometheus` package):
#       deploy/podman/local-image.sh localhost/prometheus:local prometheus
#
# Usage: deploy/podman/local-image.sh <image name> <program>...
# Prints the image name. Needs podman, busybox-static and ldd (libc-bin).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 <image name> <program>..." >&2
  exit 2
fi
name="$1"
shift
busybox="$(command -v busybox || true)"
if [ -z "$busybox" ] || ! "$busybox" --list >/dev/null 2>&1 || ldd "$busybox" >/dev/null 2>&1; then
  echo "local-image.sh: needs a static busybox (apt-get install busybox-static)" >&2
  exit 2
fi

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,usr/bin,usr/local/bin,usr/local/lib/node_modules,etc,tmp,root,home/node}
chmod 1777 "$root/tmp"

cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf /bin/busybox "$root/bin/$applet"
done
ln -sf /bin/busybox "$root/usr/bin/env"

for program in "$@"; do
  path="$(command -v "$program" || true)"
  if [ -z "$path" ]; then
    echo "local-image.sh: $program is not installed here" >&2
    exit 2
  fi
  path="$(readlink -f "$path")"
  cp "$path" "$root/usr/local/bin/$program"
  # Every shared library it needs (and the dynamic loader), at the same paths.
  for lib in $(ldd "$path" | grep -oE '/[^ ]+'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  if [ "$program" = node ]; then
    cp -a "$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")" "$root/usr/local/lib/node_modules/npm"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  fi
done

cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
node:x:1000:1000::/home/node:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
node:x:1000:
nogroup:x:65534:
GROUP
echo 'hosts: files dns' > "$root/etc/nsswitch.conf"
chown 1000:1000 "$root/home/node"

# As the images it stands in for: node's runs `node` unless told otherwise
# (CMD), prom/prometheus takes its flags as the command (ENTRYPOINT).
if [ "$1" = node ]; then start="CMD [\"node\"]"; else start="ENTRYPOINT [\"/usr/local/bin/$1\"]"; fi
tar -C "$root" -c . | podman import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change "$start" \
  --quiet - "$name" >/dev/null
echo "$name"
