#!/usr/bin/env bash
# Runs a command in a network namespace of its own with only loopback, where the link-local
# addresses of the AWS metadata services (instance metadata 169.254.169.254, container
# credentials 169.254.170.2) belong to loopback too: tests of the credential chain reach the
# fakes listening there, and never a real metadata service.
# Usage: in_netns.sh COMMAND [ARG]...
set -euo pipefail
if [[ -z "${D2D_IN_NETNS:-}" ]]; then
  if [[ $(id -u) -eq 0 ]]; then exec unshare -n env D2D_IN_NETNS=1 bash "$0" "$@"; fi
  exec unshare -rn env D2D_IN_NETNS=1 bash "$0" "$@"
fi
ip link set lo up
ip addr add 169.254.169.254/32 dev lo
ip addr add 169.254.170.2/32 dev lo
exec "$@"
