# Shell helpers shared by the bench/*.sh scripts; sourced from the repository root.

# bench_work PREFIX: a fresh $work directory under /tmp; at exit every process in $pids is stopped
# and $work is removed (module caches are read-only, hence the chmod).
bench_work() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}

# median: the median of the numbers on stdin, one a line (the mean of the middle two for an even count).
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}

# wait_for URL WHAT [any]: polls for up to 120 s until the URL answers 2xx, or with "any" until the
# server answers at all (a proxy that answers 404 for its root is up).
wait_for() {
  local code
  for _ in $(seq 1 600); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" 2>/dev/null) || true
    case "${3:-2xx}:${code:-000}" in
      any:000 | 2xx:000) ;;
      any:* | 2xx:2??) return 0 ;;
    esac
    sleep 0.2
  done
  echo "$2 did not come up at $1" >&2
  exit 1
}

# start_nginx SERVERS: nginx (NGINX, default /usr/sbin/nginx) in $work/nginx with the given server { }
# blocks, tuned as a static file server would be for this load: a worker per core, sendfile, the
# GOPROXY files' content types, no limit on requests per keep-alive connection, no access log unless a
# server block names one. Its pid goes to $nginx_pid and $pids; its logs to $work/nginx/logs.
start_nginx() {
  mkdir -p "$work/nginx/logs"
  cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
user $(id -un);
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  types { application/zip zip; application/json info; text/plain mod; }
  default_type text/plain;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
$1
}
CONF
  "${NGINX:-/usr/sbin/nginx}" -c "$work/nginx/nginx.conf" -p "$work/nginx" &
  nginx_pid=$!
  pids+=("$nginx_pid")
}
