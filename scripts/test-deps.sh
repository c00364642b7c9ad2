#!/usr/bin/env bash
# What npm test needs beyond npm: Debian's chromium (the HTML report and race page tests drive
# it through playwright-core, which downloads no browser of its own) and Debian's
# docker-compose (it validates docker-compose.yml; no Docker engine is needed). Installed here,
# once, so that `npm test` alone works on a fresh machine.
set -u
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "npm test needs Debian's ${missing[*]}: install with apt-get install ${missing[*]} (as root)" >&2
  exit 1
fi
echo "installing Debian's ${missing[*]} for the tests..." >&2
export DEBIAN_FRONTEND=noninteractive
{ apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; } || {
  echo "could not install ${missing[*]} with apt-get" >&2
  exit 1
}
