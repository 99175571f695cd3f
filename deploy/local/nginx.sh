#!/usr/bin/env bash
# nginx in front of `mittari serve` on loopback, for development and the proxy tests (tests/deploy).
#
#   deploy/local/nginx.sh start     # installs Debian's nginx when missing (as root), renders the config, starts it
#   deploy/local/nginx.sh stop
#   deploy/local/nginx.sh status
#   deploy/local/nginx.sh install       # only install nginx when missing; prints the binary's path
#   deploy/local/nginx.sh render FILE   # only write the rendered nginx.conf to FILE
#
# The configuration is deploy/nginx/local.conf.in with the same proxy rules as production
# (deploy/nginx/mittari-proxy.conf). Ports: MITTARI_NGINX_PORT (8088, where nginx listens) and
# MITTARI_NGINX_UPSTREAM_PORT (8089, where `mittari serve --port 8089` is expected); both on 127.0.0.1.
# Files (config, pid, logs, temp, cache) live under MITTARI_NGINX_DIR (default: var/services/nginx).
# It does not start `mittari serve`: run that yourself, or let the tests do it.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
VAR=${MITTARI_NGINX_DIR:-${MITTARI_SERVICES_DIR:-$REPO/var/services}/nginx}
PORT=${MITTARI_NGINX_PORT:-8088}
UPSTREAM_PORT=${MITTARI_NGINX_UPSTREAM_PORT:-8089}

say() { echo "[nginx] $*" >&2; }
die() { echo "[nginx] error: $*" >&2; exit 1; }

nginx_bin() { command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true; }

install_nginx() {
  [ -n "$(nginx_bin)" ] && return
  [ "$(id -u)" = 0 ] || die "install as root: apt-get install nginx"
  say "installing nginx from Debian"
  # The package would start a system-wide nginx on port 80; refuse service starts while installing.
  local policy=/usr/sbin/policy-rc.d created=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
  [ -n "$created" ] && rm -f "$policy"
  [ -n "$(nginx_bin)" ] || die "nginx did not install"
}

render() {  # render FILE
  local user_line=""
  # a root master runs its workers as nobody: they need to write the temp and cache folders
  [ "$(id -u)" = 0 ] && user_line="user nobody nogroup;"
  sed -e "s|@VAR@|$VAR|g" -e "s|@PORT@|$PORT|g" -e "s|@UPSTREAM_PORT@|$UPSTREAM_PORT|g" \
      -e "s|@REPO@|$REPO|g" -e "s|@STATIC_ROOT@|$REPO/api|g" -e "s|@MIME_TYPES@|/etc/nginx/mime.types|g" \
      "$REPO/deploy/nginx/local.conf.in" >"$1"
  [ -n "$user_line" ] && sed -i "1i $user_line" "$1"
  return 0
}

running() { [ -f "$VAR/nginx.pid" ] && kill -0 "$(cat "$VAR/nginx.pid")" 2>/dev/null; }

start() {
  install_nginx
  mkdir -p "$VAR/tmp" "$VAR/cache"
  [ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$VAR/tmp" "$VAR/cache"
  render "$VAR/nginx.conf"
  local bin; bin=$(nginx_bin)
  if running; then
    "$bin" -p "$VAR" -c "$VAR/nginx.conf" -t -q && "$bin" -p "$VAR" -c "$VAR/nginx.conf" -s reload
    say "reloaded on 127.0.0.1:$PORT → 127.0.0.1:$UPSTREAM_PORT"
    return
  fi
  "$bin" -p "$VAR" -c "$VAR/nginx.conf" -t -q
  "$bin" -p "$VAR" -c "$VAR/nginx.conf"
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && { say "listening on 127.0.0.1:$PORT → 127.0.0.1:$UPSTREAM_PORT"; return; }
    sleep 0.1
  done
  die "nginx did not open 127.0.0.1:$PORT; see $VAR/error.log"
}

stop() {
  if running; then
    local pid; pid=$(cat "$VAR/nginx.pid")
    kill -QUIT "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    say "stopped"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "nginx: running (pid $(cat "$VAR/nginx.pid"), 127.0.0.1:$PORT)"; else echo "nginx: stopped"; fi ;;
  install) install_nginx; nginx_bin ;;
  render) [ -n "${2:-}" ] || die "render FILE"; render "$2" ;;
  *) die "usage: $0 start|stop|status|render FILE" ;;
esac
