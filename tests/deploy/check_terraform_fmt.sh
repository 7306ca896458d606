#!/usr/bin/env bash
# `terraform fmt -check` on deploy/terraform: formatting and HCL syntax only. `terraform validate`
# would need `terraform init`, which downloads the AWS provider, so it is not run here. Exit 77
# (ctest: skipped) when terraform is not installed (Debian does not package it).
set -euo pipefail
if ! command -v terraform >/dev/null; then
  echo "terraform not installed: deploy/terraform not checked" >&2
  exit 77
fi
TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -diff -recursive "$1"
