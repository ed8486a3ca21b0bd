#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis on loopback for the deeplink-auth store suites (owned by the
# deeplink-auth area). `.ci/run` sources this file; it installs Debian's `postgresql` and
# `redis-server` when missing, starts both with their own data directories under /tmp on
# non-default ports, exports the URLs the suites read, and stops them when the shell exits.
#
#   TGAUTH_TEST_POSTGRES_URL  postgres://tgauth@127.0.0.1:$TGAUTH_CI_POSTGRES_PORT/postgres
#   TGAUTH_TEST_REDIS_URL     redis://127.0.0.1:$TGAUTH_CI_REDIS_PORT/
#   TGAUTH_TEST_CHROMEDRIVER  Debian's chromedriver, for the browser tests (see below)
#   TGAUTH_TEST_POSTGRES_BINDIR, TGAUTH_TEST_HAPROXY  PostgreSQL's initdb/pg_ctl and Debian's
#                             haproxy, for the replica harness, which runs its own (see below)
#   TGAUTH_REQUIRE_SERVICES=1 the suites fail (instead of skipping) when a URL is missing, so
#                             a server that did not start fails CI whatever the runner sets CI to
#
# Standalone use: `source .ci/services.sh` in a shell, then run the tests there.

TGAUTH_CI_POSTGRES_PORT="${TGAUTH_CI_POSTGRES_PORT:-55439}"
TGAUTH_CI_REDIS_PORT="${TGAUTH_CI_REDIS_PORT:-56390}"
TGAUTH_CI_SERVICES_DIR=""
export TGAUTH_REQUIRE_SERVICES=1

tgauth_services_log() { echo "ci services: $*" >&2; }

# Whether something listens on 127.0.0.1:$1 (bash's /dev/tcp; no extra tools needed).
tgauth_port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints the first free port from $1 on (up to 100 tried): a leftover or foreign server on the
# default port must not be mistaken for ours, nor stopped by our cleanup.
tgauth_free_port() {
    local port="$1" tries=0
    while tgauth_port_busy "$port"; do
        tries=$((tries + 1))
        if [ "$tries" -ge 100 ]; then
            return 1
        fi
        port=$((port + 1))
    done
    echo "$port"
}

tgauth_apt_install() {
    if [ "$(id -u)" != 0 ]; then
        tgauth_services_log "cannot install $* without root; the suites will report it"
        return 1
    fi
    if [ -z "${TGAUTH_APT_UPDATED:-}" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        TGAUTH_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Prints the directory holding initdb and pg_ctl: PATH first, then Debian's versioned dirs.
tgauth_postgres_bindir() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        # Follow symlinks (/usr/local/bin/initdb -> /usr/lib/postgresql/N/bin/initdb).
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

# Runs a command as the PostgreSQL owner: postgres refuses to run as root.
tgauth_as_pg_owner() {
    if [ "$(id -u)" = 0 ]; then
        # From /: the checkout (say under /root) may be closed to the postgres user.
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

tgauth_services_start() {
    TGAUTH_CI_SERVICES_DIR="$(mktemp -d /tmp/tgauth-ci-services.XXXXXX)"
    chmod 755 "$TGAUTH_CI_SERVICES_DIR"
    TGAUTH_CI_POSTGRES_PORT="$(tgauth_free_port "$TGAUTH_CI_POSTGRES_PORT" || echo busy)"
    TGAUTH_CI_REDIS_PORT="$(tgauth_free_port "$TGAUTH_CI_REDIS_PORT" || echo busy)"

    # PostgreSQL.
    local bindir
    bindir="$(tgauth_postgres_bindir || true)"
    if [ -z "$bindir" ]; then
        tgauth_services_log "installing postgresql"
        tgauth_apt_install postgresql || true
        bindir="$(tgauth_postgres_bindir || true)"
    fi
    if [ "$TGAUTH_CI_POSTGRES_PORT" = busy ]; then
        tgauth_services_log "postgresql: no free port found"
    elif [ -n "$bindir" ]; then
        if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
            useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
        fi
        local pgdata="$TGAUTH_CI_SERVICES_DIR/postgres"
        mkdir -p "$pgdata"
        if [ "$(id -u)" = 0 ]; then chown postgres "$pgdata"; fi
        # A failure here must not stop CI: with CI=true the suites then fail with the reason.
        if tgauth_as_pg_owner "$bindir/initdb" -D "$pgdata" -U tgauth --auth=trust -E UTF8 \
            --no-sync >"$TGAUTH_CI_SERVICES_DIR/initdb.log" 2>&1 &&
            tgauth_as_pg_owner "$bindir/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t 60 \
                -o "-p $TGAUTH_CI_POSTGRES_PORT -c listen_addresses=127.0.0.1 -k $pgdata -c max_connections=400" \
                start >/dev/null; then
            export TGAUTH_TEST_POSTGRES_URL="postgres://tgauth@127.0.0.1:$TGAUTH_CI_POSTGRES_PORT/postgres"
            TGAUTH_CI_POSTGRES_BINDIR="$bindir"
            export TGAUTH_TEST_POSTGRES_BINDIR="$bindir"
            tgauth_services_log "postgresql on 127.0.0.1:$TGAUTH_CI_POSTGRES_PORT ($bindir)"
        else
            tgauth_services_log "postgresql did not start; see $TGAUTH_CI_SERVICES_DIR/initdb.log"
        fi
    else
        tgauth_services_log "postgresql unavailable"
    fi

    # Redis, with the append-only file on as the store requires for durable links.
    if ! command -v redis-server >/dev/null 2>&1; then
        tgauth_services_log "installing redis-server"
        tgauth_apt_install redis-server || true
    fi
    if [ "$TGAUTH_CI_REDIS_PORT" = busy ]; then
        tgauth_services_log "redis: no free port found"
    elif command -v redis-server >/dev/null 2>&1; then
        local redisdir="$TGAUTH_CI_SERVICES_DIR/redis"
        mkdir -p "$redisdir"
        redis-server --port "$TGAUTH_CI_REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
            --dir "$redisdir" --appendonly yes --save "" \
            --pidfile "$redisdir/redis.pid" --logfile "$redisdir/redis.log" || true
        local tries=0
        until redis-cli -p "$TGAUTH_CI_REDIS_PORT" ping >/dev/null 2>&1; do
            tries=$((tries + 1))
            # 30 s: a cold start on a loaded 2-core runner; the bound only stops hangs.
            if [ "$tries" -gt 300 ]; then
                tgauth_services_log "redis did not answer; see $redisdir/redis.log"
                return 0
            fi
            sleep 0.1
        done
        export TGAUTH_TEST_REDIS_URL="redis://127.0.0.1:$TGAUTH_CI_REDIS_PORT/"
        tgauth_services_log "redis on 127.0.0.1:$TGAUTH_CI_REDIS_PORT"
    else
        tgauth_services_log "redis unavailable"
    fi
}

tgauth_services_stop() {
    [ -n "$TGAUTH_CI_SERVICES_DIR" ] || return 0
    if [ -n "${TGAUTH_CI_POSTGRES_BINDIR:-}" ]; then
        tgauth_as_pg_owner "$TGAUTH_CI_POSTGRES_BINDIR/pg_ctl" -D "$TGAUTH_CI_SERVICES_DIR/postgres" \
            -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -f "$TGAUTH_CI_SERVICES_DIR/redis/redis.pid" ]; then
        redis-cli -p "$TGAUTH_CI_REDIS_PORT" shutdown nosave >/dev/null 2>&1 ||
            kill "$(cat "$TGAUTH_CI_SERVICES_DIR/redis/redis.pid")" 2>/dev/null || true
    fi
    rm -rf "$TGAUTH_CI_SERVICES_DIR"
    TGAUTH_CI_SERVICES_DIR=""
}

# The browser tests (crates/tgauth-cli/tests/browser): Debian's headless Chromium and its
# chromedriver, which the tests start themselves on a free loopback port.
#   TGAUTH_TEST_CHROMEDRIVER  the chromedriver program
tgauth_browser_start() {
    if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
        tgauth_services_log "installing chromium and chromium-driver"
        tgauth_apt_install --no-install-recommends chromium chromium-driver fonts-dejavu-core ||
            return 0
    fi
    if command -v chromedriver >/dev/null 2>&1; then
        export TGAUTH_TEST_CHROMEDRIVER="$(command -v chromedriver)"
        tgauth_services_log "chromedriver at $TGAUTH_TEST_CHROMEDRIVER"
    else
        tgauth_services_log "chromedriver unavailable"
    fi
}

# The replica harness (crates/tgauth-cli/tests/replicas): it starts its own PostgreSQL (from
# TGAUTH_TEST_POSTGRES_BINDIR, exported above), Redis and Debian's haproxy, because it stops and
# restarts them mid-run.
#   TGAUTH_TEST_HAPROXY       the haproxy program
tgauth_haproxy_start() {
    if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
        tgauth_services_log "installing haproxy"
        tgauth_apt_install --no-install-recommends haproxy || return 0
    fi
    local haproxy
    haproxy="$(command -v haproxy || echo /usr/sbin/haproxy)"
    if [ -x "$haproxy" ]; then
        export TGAUTH_TEST_HAPROXY="$haproxy"
        tgauth_services_log "haproxy at $TGAUTH_TEST_HAPROXY"
    else
        tgauth_services_log "haproxy unavailable"
    fi
}

trap tgauth_services_stop EXIT
tgauth_services_start
tgauth_browser_start
tgauth_haproxy_start
