#!/usr/bin/env bash
# Sourced by the benchmark scripts (unary_bench.sh, stream_bench_lib.sh):
# starting the nginx they compare neo-bridge with. The caller defines
# LOG_DIR, NGINX (the binary), say, die and the array pids (processes its
# trap stops).

# free_port: a loopback port that was free a moment ago.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_nginx UPSTREAM_PORT: nginx from benchmarks/nginx/nginx.conf.in
# (proxy_pass of `/`, proxy_buffering off) on a free port, retried if
# another process takes the port first; sets nginx_pid (the master),
# nginx_addr and nginx_pids ("master+worker+..." for relay_load --watch).
start_nginx() {
  local upstream_port=$1 dir=$LOG_DIR/nginx port candidate attempt
  command -v "$NGINX" >/dev/null || die "$NGINX not found (./setup.sh installs the nginx package)"
  mkdir -p "$dir"
  nginx_pid='' nginx_addr=''
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    rm -f "$dir/nginx.pid"
    sed -e "s|@DIR@|$dir|g" -e "s|@LISTEN_PORT@|$port|g" \
        -e "s|@UPSTREAM_PORT@|$upstream_port|g" \
        benchmarks/nginx/nginx.conf.in >"$dir/nginx.conf"
    "$NGINX" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" \
      -g 'daemon off;' 2>>"$dir/stderr.log" &
    candidate=$!
    # The pid file appears once nginx has bound its port.
    for _ in $(seq 1 50); do
      kill -0 "$candidate" 2>/dev/null || break
      if [ -s "$dir/nginx.pid" ] &&
         curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
        nginx_pid=$candidate nginx_addr=127.0.0.1:$port
        break
      fi
      sleep 0.1
    done
    if [ -n "$nginx_pid" ]; then pids+=("$nginx_pid"); break; fi
    kill "$candidate" 2>/dev/null || true
    wait "$candidate" 2>/dev/null || true
    say "nginx did not start on port $port (attempt $attempt): $(tail -n 1 "$dir/error.log" 2>/dev/null)"
  done
  [ -n "$nginx_pid" ] || { cat "$dir/stderr.log" "$dir/error.log" >&2 2>/dev/null; die "nginx did not start"; }
  nginx_pids=$(printf '%s\n' "$nginx_pid" $(pgrep -P "$nginx_pid" || true) | paste -sd+)
}
