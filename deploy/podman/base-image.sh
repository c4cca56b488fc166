#!/usr/bin/env bash
# Makes a Node.js base image without an image registry: busybox (Debian's
# busybox-static), this machine's `node` and `npm`, and the shared libraries
# `ldd` lists for node, imported with `podman import`. It stands in for the
# official node:<line>-bookworm-slim image where no registry is reachable (this
# project's CI); build the peermon image on it with
#   podman build --build-arg BASE=<printed name> ...
# It has what the Dockerfile uses of the official image: sh, node, npm, a `node`
# user (uid 1000) and /usr/local/bin on PATH.
#
# Usage: deploy/podman/base-image.sh [image name]   (default: localhost/peermon-base:node<major>)
# Prints the image name. Needs podman, busybox-static and ldd (libc-bin).
set -euo pipefail

node_bin="$(command -v node)"
node_bin="$(readlink -f "$node_bin")"
major="$("$node_bin" -p 'process.versions.node.split(".")[0]')"
name="${1:-localhost/peermon-base:node$major}"
busybox="$(command -v busybox || true)"
if [ -z "$busybox" ] || ! "$busybox" --list >/dev/null 2>&1 || ldd "$busybox" >/dev/null 2>&1; then
  echo "base-image.sh: needs a static busybox (apt-get install busybox-static)" >&2
  exit 2
fi
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,usr/bin,usr/local/bin,usr/local/lib/node_modules,etc,tmp,root,home/node}
chmod 1777 "$root/tmp"

cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf /bin/busybox "$root/bin/$applet"
done
ln -sf /bin/busybox "$root/usr/bin/env"

cp "$node_bin" "$root/usr/local/bin/node"
# Every shared library node needs (and the dynamic loader), at the same paths.
for lib in $(ldd "$node_bin" | grep -oE '/[^ ]+'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"

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

tar -C "$root" -c . | podman import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'CMD ["node"]' \
  --quiet - "$name" >/dev/null
echo "$name"
