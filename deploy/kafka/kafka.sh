#!/usr/bin/env bash
# Single-node Apache Kafka in KRaft mode from Maven Central jars.
# usage: kafka.sh fetch | kafka.sh start DATA_DIR PORT [CONTROLLER_PORT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}
fetch() {
  if [ ! -f "$here/libs/.complete" ]; then
    rm -rf "$here/libs"
    (cd "$here" && mvn -q -B dependency:copy-dependencies -DoutputDirectory=libs -DincludeScope=runtime)
    touch "$here/libs/.complete"
  fi
}
case "$cmd" in
  fetch) fetch ;;
  start)
    fetch
    data=$(readlink -f "${2:?data dir}"); port=${3:?port}; cport=${4:-$((port + 1))}
    mkdir -p "$data"
    # broker.session.timeout.ms: after a kill -9, the restarted broker is refused (DUPLICATE_BROKER_REGISTRATION) until
    # its old incarnation's session expires; the default 9 s was most of a restart (13 s to serving, bench/recovery.py).
    # Broker and controller share this JVM, so a 1 s heartbeat in a 5 s session is safe.
    cat > "$data/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$data/logs
num.partitions=6
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=168
broker.session.timeout.ms=5000
broker.heartbeat.interval.ms=1000
PROPS
    export KAFKA_LOG4J_OPTS="-Dlog4j2.configurationFile=$here/log4j2.properties"
    jvm="-Xms256m -Xmx1g -XX:+UseG1GC -Dlog4j2.configurationFile=$here/log4j2.properties"
    if [ ! -f "$data/logs/meta.properties" ]; then
      # shellcheck disable=SC2086
      java $jvm -cp "$here/libs/*" kafka.tools.StorageTool format --standalone \
        -t "$(cat "$data/cluster.id" 2>/dev/null || echo whistle-local-kraft-01)" -c "$data/server.properties" >/dev/null
    fi
    # shellcheck disable=SC2086
    exec java $jvm -cp "$here/libs/*" kafka.Kafka "$data/server.properties"
    ;;
  *) echo "usage: $0 fetch | start DATA_DIR PORT [CONTROLLER_PORT]" >&2; exit 2 ;;
esac
