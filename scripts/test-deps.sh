#!/usr/bin/env bash
# What a few tests need beyond npm, installed by CI (.ci/run) as root before the test command:
# Debian's chromium (the HTML report and race page tests drive it through playwright-core,
# which downloads no browser of its own) and Debian's docker-compose (it validates
# docker-compose.yml; no Docker engine is needed). `npm test` installs nothing: where these are
# missing, those tests skip with a one-line reason (test/fixtures/tools.ts). Run it yourself,
# as root on Debian, to run them too.
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
