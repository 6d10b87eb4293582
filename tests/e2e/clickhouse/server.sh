# tests/e2e/clickhouse/server.sh - sourced by the tests that start a real
# clickhouse-server (e2e/clickhouse.sh, tests/tsan.sh).
#
# ch_server_config DIR: picks two free loopback ports (sets HP, the HTTP port,
# and TP, the native one) and writes DIR/config.xml and DIR/users.xml for a
# server that listens on 127.0.0.1 only and keeps its data, logs and temp
# files under DIR. Start it with: clickhouse-server --config-file=DIR/config.xml
ch_server_config() {
    local d=$1
    read -r HP TP < <(python3 -c '
import socket
s=[socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1",0))
print(*[x.getsockname()[1] for x in s])')
    mkdir -p "$d/log" "$d/data" "$d/tmp"
    cat >"$d/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/log/server.log</log>
    <errorlog>$d/log/err.log</errorlog><console>0</console></logger>
  <http_port>$HP</http_port><tcp_port>$TP</tcp_port><listen_host>127.0.0.1</listen_host>
  <path>$d/data/</path><tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/user_files/</user_files_path>
  <format_schema_path>$d/format_schemas/</format_schema_path>
  <users_config>$d/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
</yandex>
EOF
    cat >"$d/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
  </interval></default></quotas>
</yandex>
EOF
}
