#!/usr/bin/env bash
# Fetches and runs real Kafka, Elasticsearch and CKAN (with PostgreSQL, Redis, Solr) for development and tests,
# as plain processes.
#
#   deploy/local/services.sh start [kafka] [elasticsearch] [ckan]   # default: all three
#   deploy/local/services.sh stop  [kafka] [elasticsearch] [ckan]
#   deploy/local/services.sh status
#
# Everything comes from Maven Central (Kafka jars, the Elasticsearch integ-test zip) with this machine's Java
# and Maven; CKAN from PyPI, PostgreSQL and Redis from Debian (deploy/local/ckan.sh). Data, downloads and logs live under MITTARI_SERVICES_DIR (default: var/services, git-ignored).
# Ports: MITTARI_KAFKA_PORT (9092), MITTARI_KAFKA_CONTROLLER_PORT (9093), MITTARI_ES_PORT (9200),
# MITTARI_ES_TRANSPORT_PORT (9300); all bound to 127.0.0.1. Heaps are capped at 512 MB each.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
VAR=${MITTARI_SERVICES_DIR:-$REPO/var/services}
KAFKA_PORT=${MITTARI_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${MITTARI_KAFKA_CONTROLLER_PORT:-9093}
ES_PORT=${MITTARI_ES_PORT:-9200}
ES_TRANSPORT_PORT=${MITTARI_ES_TRANSPORT_PORT:-9300}
ES_VERSION=${MITTARI_ES_VERSION:-9.2.0}
ES_USER=${MITTARI_ES_USER:-mittari-es}
DEP_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

say() { printf '[services] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is needed ($2)"; }

java_home_for_es() {
  # Elasticsearch 9 needs Java 21+; this zip has no bundled JDK.
  if [ -n "${ES_JAVA_HOME:-}" ]; then echo "$ES_JAVA_HOME"; return; fi
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64 /usr/lib/jvm/java-21-openjdk-amd64; do
    [ -x "$candidate/bin/java" ] && { echo "$candidate"; return; }
  done
  die "Elasticsearch $ES_VERSION needs Java 21 or newer: set ES_JAVA_HOME"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local budget=$1 what=$2; shift 2
  local waited=0
  until "$@"; do
    sleep 1; waited=$((waited + 1))
    [ "$waited" -ge "$budget" ] && return 1
  done
  say "$what ready after ${waited}s"
}

# --- Kafka -------------------------------------------------------------------------------------------
KAFKA_DIR=$VAR/kafka

kafka_fetch() {
  if [ -f "$KAFKA_DIR/lib/.complete" ]; then return; fi
  need mvn "install Maven: apt-get install maven"
  say "fetching Kafka jars from Maven Central"
  mkdir -p "$KAFKA_DIR/lib"
  mvn -B -q -f "$HERE/kafka/pom.xml" "$DEP_PLUGIN:copy-dependencies" \
      -DoutputDirectory="$KAFKA_DIR/lib" -DincludeScope=runtime
  touch "$KAFKA_DIR/lib/.complete"
}

kafka_start() {
  need java "install a JDK 17+: apt-get install openjdk-17-jre-headless"
  kafka_fetch
  if running "$KAFKA_DIR/broker.pid"; then say "Kafka already running"; return; fi
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by another process"
  mkdir -p "$KAFKA_DIR/data"
  cat > "$KAFKA_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
  cat > "$KAFKA_DIR/log4j2.properties" <<'PROPS'
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.ak.name = org.apache.kafka
logger.ak.level = WARN
PROPS
  local cp="$KAFKA_DIR/lib/*"
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    local cluster_id
    cluster_id=$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
    java -cp "$cp" -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" kafka.tools.StorageTool format \
        --ignore-formatted -t "$cluster_id" -c "$KAFKA_DIR/server.properties" >> "$KAFKA_DIR/broker.log" 2>&1
  fi
  say "starting Kafka on 127.0.0.1:$KAFKA_PORT (log: $KAFKA_DIR/broker.log)"
  nohup java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
      -cp "$cp" kafka.Kafka "$KAFKA_DIR/server.properties" >> "$KAFKA_DIR/broker.log" 2>&1 < /dev/null &
  echo $! > "$KAFKA_DIR/broker.pid"
  wait_for 90 "Kafka" kafka_ready || { tail -50 "$KAFKA_DIR/broker.log" >&2; die "Kafka did not start"; }
}

kafka_ready() {
  running "$KAFKA_DIR/broker.pid" || { tail -30 "$KAFKA_DIR/broker.log" >&2; die "Kafka exited"; }
  port_open "$KAFKA_PORT" && grep -q "Kafka Server started" "$KAFKA_DIR/broker.log"
}

# --- Elasticsearch -----------------------------------------------------------------------------------
ES_DIR=$VAR/elasticsearch
ES_HOME=$ES_DIR/elasticsearch-$ES_VERSION

es_fetch() {
  if [ -x "$ES_HOME/bin/elasticsearch" ]; then return; fi
  need mvn "install Maven: apt-get install maven"
  say "fetching Elasticsearch $ES_VERSION (integ-test zip) from Maven Central"
  mkdir -p "$ES_DIR"
  mvn -B -q "$DEP_PLUGIN:copy" \
      -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" -DoutputDirectory="$ES_DIR"
  if command -v unzip >/dev/null 2>&1; then
    (cd "$ES_DIR" && unzip -q -o "elasticsearch-$ES_VERSION.zip")
  else  # Python's zipfile drops the executable bits: put them back on the launch scripts
    python3 -m zipfile -e "$ES_DIR/elasticsearch-$ES_VERSION.zip" "$ES_DIR"
    chmod -R u+x,go+rx "$ES_HOME/bin"
  fi
  rm -f "$ES_DIR/elasticsearch-$ES_VERSION.zip"
}

es_start() {
  local java_home; java_home=$(java_home_for_es)
  es_fetch
  if running "$ES_DIR/es.pid"; then say "Elasticsearch already running"; return; fi
  port_open "$ES_PORT" && die "port $ES_PORT is taken by another process"
  mkdir -p "$ES_DIR/data" "$ES_DIR/logs"
  cat > "$ES_HOME/config/elasticsearch.yml" <<YML
cluster.name: mittari-local
node.name: local-1
network.host: 127.0.0.1
http.port: $ES_PORT
transport.port: $ES_TRANSPORT_PORT
discovery.type: single-node
xpack.security.enabled: false
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
path.data: $ES_DIR/data
path.logs: $ES_DIR/logs
YML
  printf -- '-Xms512m\n-Xmx512m\n' > "$ES_HOME/config/jvm.options.d/heap.options"
  local run=()
  if [ "$(id -u)" = 0 ]; then
    # Elasticsearch refuses to run as root: run it as an unprivileged service user.
    id "$ES_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
    chown -R "$ES_USER:" "$ES_DIR"
    # the user must be able to reach the folder through its parents
    local d=$ES_DIR; while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
    run=(runuser -u "$ES_USER" --)
  fi
  say "starting Elasticsearch $ES_VERSION on 127.0.0.1:$ES_PORT (logs: $ES_DIR/logs, $ES_DIR/stdout.log)"
  "${run[@]}" env ES_JAVA_HOME="$java_home" "$ES_HOME/bin/elasticsearch" -d -p "$ES_DIR/es.pid" \
      > "$ES_DIR/stdout.log" 2>&1 < /dev/null
  wait_for 120 "Elasticsearch" es_ready || { tail -50 "$ES_DIR/logs/mittari-local.log" >&2 || true; die "Elasticsearch did not start"; }
}

es_ready() {
  # this zip has no GET /; cluster health is the readiness check
  python3 - "$ES_PORT" <<'PY' 2>/dev/null
import sys, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/_cluster/health?wait_for_status=yellow&timeout=1s"
urllib.request.urlopen(url, timeout=5).read()
PY
}

stop_pid() {  # stop_pid PIDFILE NAME
  local pidfile=$1 name=$2
  if ! running "$pidfile"; then say "$name not running"; rm -f "$pidfile"; return; fi
  local pid; pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  rm -f "$pidfile"
  say "$name stopped"
}

# shellcheck source=deploy/local/ckan.sh
. "$HERE/ckan.sh"

which_services() {
  if [ $# -eq 0 ]; then echo "kafka elasticsearch ckan"; else echo "$@"; fi
}

cmd=${1:-status}; shift || true
case "$cmd" in
  start)
    for s in $(which_services "$@"); do
      case "$s" in kafka) kafka_start ;; elasticsearch|es) es_start ;; ckan) ckan_start ;; *) die "unknown service $s" ;; esac
    done ;;
  stop)
    for s in $(which_services "$@"); do
      case "$s" in kafka) stop_pid "$KAFKA_DIR/broker.pid" Kafka ;; elasticsearch|es) stop_pid "$ES_DIR/es.pid" Elasticsearch ;;
        ckan) ckan_stop ;;
        *) die "unknown service $s" ;; esac
    done ;;
  status)
    running "$KAFKA_DIR/broker.pid" && echo "kafka: running on 127.0.0.1:$KAFKA_PORT" || echo "kafka: stopped"
    running "$ES_DIR/es.pid" && echo "elasticsearch: running on 127.0.0.1:$ES_PORT" || echo "elasticsearch: stopped"
    running "$CKAN_DIR/ckan.pid" && echo "ckan: running on 127.0.0.1:$CKAN_PORT" || echo "ckan: stopped" ;;
  *) die "usage: $0 start|stop|status [kafka] [elasticsearch] [ckan]" ;;
esac
