# Sourced by services.sh: a real CKAN 2.11 with DataStore for development and tests.
#   PostgreSQL and Redis from Debian's packages, Solr 9 from Maven Central (SolrLauncher.java over
#   solr-test-framework's JettySolrRunner, with the schema.xml of the installed CKAN), CKAN from PyPI
#   in a virtualenv of its own (its pins clash with Mittari's). Writes var/services/ckan/env with
#   MITTARI_CKAN_URL, MITTARI_CKAN_TOKEN and MITTARI_CKAN_ORG.
# Ports: MITTARI_CKAN_PORT (5000), MITTARI_SOLR_PORT (8983), MITTARI_REDIS_PORT (6379).
# MITTARI_CKAN_SERVER: `dev` (default: `ckan run`, Werkzeug's threaded development server, enough for tests) or
#   `gunicorn` (MITTARI_CKAN_WORKERS sync workers, 2 by default, over CKAN's documented WSGI entry point: CKAN served
#   as a city would serve it, for `mittari bench api --ckan`).

CKAN_VERSION=${MITTARI_CKAN_VERSION:-2.11.5}
CKAN_PORT=${MITTARI_CKAN_PORT:-5000}
SOLR_PORT=${MITTARI_SOLR_PORT:-8983}
REDIS_PORT=${MITTARI_REDIS_PORT:-6379}
CKAN_DIR=$VAR/ckan
SOLR_DIR=$VAR/solr
CKAN_DB_PASSWORD=${MITTARI_CKAN_DB_PASSWORD:-mittari-local}
CKAN_SERVER=${MITTARI_CKAN_SERVER:-dev}
CKAN_WORKERS=${MITTARI_CKAN_WORKERS:-2}
CKAN_GUNICORN_VERSION=23.0.0

debian_packages() {
  local missing=()
  command -v pg_lsclusters >/dev/null 2>&1 || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v pg_config >/dev/null 2>&1 || missing+=(libpq-dev)
  [ -e /usr/lib/x86_64-linux-gnu/libmagic.so.1 ] || ls /usr/lib/*/libmagic.so.1 >/dev/null 2>&1 || missing+=(libmagic1)
  [ ${#missing[@]} -eq 0 ] && return
  [ "$(id -u)" = 0 ] || die "install as root: apt-get install ${missing[*]}"
  say "installing ${missing[*]} from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

postgres_start() {
  local cluster; cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
  [ -n "$cluster" ] || die "no PostgreSQL cluster (pg_lsclusters is empty)"
  pg_ctlcluster $cluster start 2>/dev/null || true
  wait_for 60 "PostgreSQL" pg_isready -q -h 127.0.0.1 || die "PostgreSQL did not start"
  runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -v pw="$CKAN_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE mittari_ckan LOGIN PASSWORD %L', :'pw') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mittari_ckan') \gexec
SELECT format('CREATE ROLE mittari_datastore LOGIN PASSWORD %L', :'pw') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mittari_datastore') \gexec
SELECT 'CREATE DATABASE mittari_ckan OWNER mittari_ckan ENCODING ''utf-8''' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'mittari_ckan') \gexec
SELECT 'CREATE DATABASE mittari_datastore OWNER mittari_ckan ENCODING ''utf-8''' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'mittari_datastore') \gexec
SQL
}

redis_start() {
  if port_open "$REDIS_PORT"; then return; fi
  mkdir -p "$CKAN_DIR"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' --appendonly no \
      --pidfile "$CKAN_DIR/redis.pid" --logfile "$CKAN_DIR/redis.log"
  wait_for 20 "Redis" port_open "$REDIS_PORT" || die "Redis did not start"
}

ckan_venv() {
  if [ -x "$CKAN_DIR/venv/bin/ckan" ]; then return; fi
  say "installing ckan[requirements]==$CKAN_VERSION into its own virtualenv (a few minutes)"
  python3 -m venv "$CKAN_DIR/venv"
  "$CKAN_DIR/venv/bin/pip" install -q --upgrade pip
  "$CKAN_DIR/venv/bin/pip" install -q "ckan[requirements]==$CKAN_VERSION"
}

solr_start() {
  need java "install a JDK 17+"
  if running "$SOLR_DIR/solr.pid"; then say "Solr already running"; return; fi
  ckan_venv
  if [ ! -f "$SOLR_DIR/lib/.complete" ]; then
    need mvn "install Maven: apt-get install maven"
    say "fetching Solr 9 jars from Maven Central"
    mkdir -p "$SOLR_DIR/lib"
    mvn -B -q -f "$HERE/solr/pom.xml" "$DEP_PLUGIN:copy-dependencies" -DoutputDirectory="$SOLR_DIR/lib" -DincludeScope=runtime
    touch "$SOLR_DIR/lib/.complete"
  fi
  local home=$SOLR_DIR/home schema
  schema=$("$CKAN_DIR/venv/bin/python" -c 'import ckan, os; print(os.path.join(os.path.dirname(ckan.__file__), "config/solr/schema.xml"))')
  mkdir -p "$home/ckan/conf"
  echo '<solr></solr>' > "$home/solr.xml"
  echo 'name=ckan' > "$home/ckan/core.properties"
  cp "$schema" "$home/ckan/conf/schema.xml"   # the installed CKAN's own schema: versions must match
  cp "$HERE/solr/solrconfig.xml" "$home/ckan/conf/solrconfig.xml"
  touch "$home/ckan/conf/synonyms.txt" "$home/ckan/conf/protwords.txt"
  say "starting Solr on 127.0.0.1:$SOLR_PORT (log: $SOLR_DIR/solr.log)"
  nohup java -Xms128m -Xmx512m -cp "$SOLR_DIR/lib/*" "$HERE/solr/SolrLauncher.java" "$home" "$SOLR_PORT" \
      >> "$SOLR_DIR/solr.log" 2>&1 < /dev/null &
  echo $! > "$SOLR_DIR/solr.pid"
  wait_for 120 "Solr" solr_ready || { tail -40 "$SOLR_DIR/solr.log" >&2; die "Solr did not start"; }
}

solr_ready() {
  running "$SOLR_DIR/solr.pid" || { tail -30 "$SOLR_DIR/solr.log" >&2; die "Solr exited"; }
  python3 - "$SOLR_PORT" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/solr/ckan/select?q=*:*&rows=0&wt=json", timeout=5).read()
PY
}

ckan_start() {
  debian_packages
  if running "$CKAN_DIR/ckan.pid"; then say "CKAN already running"; return; fi
  port_open "$CKAN_PORT" && die "port $CKAN_PORT is taken by another process"
  postgres_start
  redis_start
  solr_start
  local ini=$CKAN_DIR/ckan.ini ckan="$CKAN_DIR/venv/bin/ckan -c $CKAN_DIR/ckan.ini"
  local db="postgresql://mittari_ckan:$CKAN_DB_PASSWORD@127.0.0.1"
  [ -f "$ini" ] || "$CKAN_DIR/venv/bin/ckan" generate config "$ini" >/dev/null 2>&1
  "$CKAN_DIR/venv/bin/ckan" config-tool "$ini" \
      "sqlalchemy.url=$db/mittari_ckan" \
      "ckan.datastore.write_url=$db/mittari_datastore" \
      "ckan.datastore.read_url=postgresql://mittari_datastore:$CKAN_DB_PASSWORD@127.0.0.1/mittari_datastore" \
      "ckan.plugins=datastore activity" \
      "ckan.site_url=http://127.0.0.1:$CKAN_PORT" \
      "ckan.storage_path=$CKAN_DIR/storage" \
      "solr_url=http://127.0.0.1:$SOLR_PORT/solr/ckan" \
      "ckan.redis.url=redis://127.0.0.1:$REDIS_PORT/0" \
      "licenses_group_url=file://$HERE/ckan-licenses.json" >/dev/null  # SPDX ids, as the Finnish national portal
  mkdir -p "$CKAN_DIR/storage"
  $ckan db init >> "$CKAN_DIR/setup.log" 2>&1
  $ckan db upgrade -p activity >> "$CKAN_DIR/setup.log" 2>&1
  $ckan datastore set-permissions 2>/dev/null > "$CKAN_DIR/datastore-permissions.sql"
  runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -f "$CKAN_DIR/datastore-permissions.sql" >> "$CKAN_DIR/setup.log" 2>&1
  if $ckan user show mittari-admin 2>/dev/null | grep -q "User: None"; then  # it exits 0 either way
    $ckan user add mittari-admin email=admin@example.org password="local-$CKAN_DB_PASSWORD" >> "$CKAN_DIR/setup.log" 2>&1
  fi
  $ckan sysadmin add mittari-admin >> "$CKAN_DIR/setup.log" 2>&1
  case "$CKAN_SERVER" in
    dev)
      say "starting CKAN $CKAN_VERSION on 127.0.0.1:$CKAN_PORT (log: $CKAN_DIR/ckan.log)"
      nohup $ckan run -H 127.0.0.1 -p "$CKAN_PORT" -r -t >> "$CKAN_DIR/ckan.log" 2>&1 < /dev/null &
      ;;
    gunicorn)
      ckan_gunicorn
      say "starting CKAN $CKAN_VERSION under gunicorn ($CKAN_WORKERS workers) on 127.0.0.1:$CKAN_PORT (log: $CKAN_DIR/ckan.log)"
      CKAN_INI=$ini nohup "$CKAN_DIR/venv/bin/gunicorn" --workers "$CKAN_WORKERS" --bind "127.0.0.1:$CKAN_PORT" \
          --chdir "$CKAN_DIR" --access-logfile - ckan_wsgi:application >> "$CKAN_DIR/ckan.log" 2>&1 < /dev/null &
      ;;
    *) die "MITTARI_CKAN_SERVER must be dev or gunicorn, not '$CKAN_SERVER'" ;;
  esac
  echo $! > "$CKAN_DIR/ckan.pid"
  wait_for 90 "CKAN" ckan_ready || { tail -40 "$CKAN_DIR/ckan.log" >&2; die "CKAN did not start"; }
  if [ ! -s "$CKAN_DIR/token" ]; then
    $ckan user token add mittari-admin mittari -q 2>/dev/null | tail -1 > "$CKAN_DIR/token"
  fi
  "$CKAN_DIR/venv/bin/python" - "$CKAN_PORT" "$(cat "$CKAN_DIR/token")" <<'PY'
import json, sys, urllib.request
port, token = sys.argv[1], sys.argv[2]
def call(action, data):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/3/action/{action}", json.dumps(data).encode(),
                                     {"Authorization": token, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request, timeout=30))
try:
    call("organization_show", {"id": "mittari-demo-city"})
except urllib.error.HTTPError:
    call("organization_create", {"name": "mittari-demo-city", "title": "Mittari demo city"})
PY
  cat > "$CKAN_DIR/env" <<ENV
MITTARI_CKAN_URL=http://127.0.0.1:$CKAN_PORT
MITTARI_CKAN_TOKEN=$(cat "$CKAN_DIR/token")
MITTARI_CKAN_ORG=mittari-demo-city
ENV
  say "CKAN settings for mittari written to $CKAN_DIR/env"
}

# gunicorn in CKAN's own virtualenv, and the WSGI module CKAN's deployment guide describes (config from CKAN_INI).
ckan_gunicorn() {
  [ -x "$CKAN_DIR/venv/bin/gunicorn" ] || "$CKAN_DIR/venv/bin/pip" install -q "gunicorn==$CKAN_GUNICORN_VERSION"
  cat > "$CKAN_DIR/ckan_wsgi.py" <<'PY'
import os
from logging.config import fileConfig

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

fileConfig(os.environ["CKAN_INI"])
application = make_app(CKANConfigLoader(os.environ["CKAN_INI"]).get_config())
PY
}

ckan_ready() {
  running "$CKAN_DIR/ckan.pid" || { tail -30 "$CKAN_DIR/ckan.log" >&2; die "CKAN exited"; }
  python3 - "$CKAN_PORT" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/3/action/status_show", timeout=5).read()
PY
}

ckan_stop() {
  stop_pid "$CKAN_DIR/ckan.pid" CKAN
  stop_pid "$SOLR_DIR/solr.pid" Solr
  stop_pid "$CKAN_DIR/redis.pid" Redis  # only the Redis started here; PostgreSQL stays up as a system service
}
