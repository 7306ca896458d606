#!/usr/bin/env bash
# Makes the base images deploy/Dockerfile starts FROM (debian:bookworm, debian:bookworm-slim)
# without an image registry: a minimal Debian 12 root file system from Debian's own packages
# (debootstrap --variant=minbase), imported into podman under both names. The mirror is the one
# this machine's apt already uses (/etc/apt/sources.list or sources.list.d), so nothing here names
# a host; the image gets this machine's Debian sources for the suite too (updates and security
# included), so the Dockerfile's `apt-get update` installs patched packages. The tarball is cached in
# CACHE_DIR, named after this script's digest (a change here makes a new one); a second run only
# re-imports it when podman lacks it.
# Usage: tests/image/base_image.sh CACHE_DIR
set -euo pipefail
cache_dir=$(realpath -m "${1:?usage: base_image.sh CACHE_DIR}")
suite=bookworm
tarball=$cache_dir/debian-$suite-minbase-$(sha256sum "$0" | cut -c1-12).tar
tags=("debian:$suite" "debian:$suite-slim")

# apt's source files on this machine, in either format.
files=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [[ -f $f ]] && files+=("$f")
done

# The first Debian archive (not the security one) configured for $suite.
apt_mirror() {
  awk -v suite="$suite" '
    # one-line format: deb [options] URI SUITE COMPONENTS...
    /^[[:space:]]*deb[[:space:]]/ {
      n = split($0, w, /[[:space:]]+/); i = 2
      if (w[i] ~ /^\[/) { while (w[i] !~ /\]$/) i++; i++ }
      if (w[i + 1] == suite && w[i] !~ /security/) { print w[i]; exit }
    }
    # deb822 format: a paragraph with Types: deb, URIs: and Suites: naming the suite
    /^URIs:/    { uris = $2 }
    /^Suites:/  { for (k = 2; k <= NF; k++) if ($k == suite) has_suite = 1 }
    /^Types:/   { is_deb = ($0 ~ /[[:space:]]deb([[:space:]]|$)/) }
    /^[[:space:]]*$/ { if (is_deb && has_suite && uris !~ /security/ && uris != "") { print uris; exit }
                       uris = ""; has_suite = 0; is_deb = 0 }
    END { if (is_deb && has_suite && uris !~ /security/ && uris != "") print uris }
  ' "${files[@]}" | head -n 1
}

if [[ ! -s $tarball ]]; then
  mirror=$(apt_mirror)
  [[ -n $mirror ]] || { echo "base_image: no Debian $suite archive in /etc/apt/sources.list(.d)" >&2; exit 1; }
  echo "base_image: debootstrap --variant=minbase $suite (mirror from apt's sources)" >&2
  mkdir -p "$cache_dir"
  rootfs=$(mktemp -d "$cache_dir/rootfs-XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$cache_dir/debootstrap.log" 2>&1 \
    || { tail -n 20 "$cache_dir/debootstrap.log" >&2; exit 1; }
  # apt sources: this machine's files that name the mirror and the suite (with bookworm-updates and
  # bookworm-security when they sit beside it), in place of debootstrap's single line; its own
  # stays when there are none. Other vendors' files are left out: their keys are not in the image.
  copied=0
  for f in "${files[@]}"; do
    if grep -qF "$mirror" "$f" && grep -qw "$suite" "$f"; then
      mkdir -p "$rootfs$(dirname "$f")" && cp "$f" "$rootfs$f" && copied=1
    fi
  done
  ((copied)) && [[ ! -f /etc/apt/sources.list ]] && rm -f "$rootfs/etc/apt/sources.list"
  # What an image needs that a chroot does not: no package caches, no apt lists.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar --numeric-owner -C "$rootfs" -cf "$tarball.part" .
  find "$cache_dir" -maxdepth 1 -name "debian-$suite-minbase*.tar" -delete  # made by older versions
  mv "$tarball.part" "$tarball"
fi

# Re-import when a tag is missing or was made from another tarball (the digest is kept beside it).
digest=$(sha256sum "$tarball" | cut -d' ' -f1)
for tag in "${tags[@]}"; do
  if [[ $(podman image inspect --format '{{index .Labels "d2d.base.tarball"}}' "$tag" 2>/dev/null) != "$digest" ]]; then
    echo "base_image: podman import -> ${tags[*]}" >&2
    podman import --quiet --change "LABEL d2d.base.tarball=$digest" --change 'CMD ["bash"]' "$tarball" "${tags[0]}" >/dev/null
    for other in "${tags[@]:1}"; do podman tag "${tags[0]}" "$other"; done
    break
  fi
done
