# Shared by bench/run-service and bench/soak (sourced, not run): a
# nats-server and a tagwired started in the background for one run.
# Callers set `work` (a scratch directory) and kill $broker_pid and
# $server_pid on exit.

# Starts nats-server with JetStream on a free loopback port, storing under
# $work; sets broker_pid and nats_url.
start_broker() {
  local port nats_server
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  nats_server=$(command -v nats-server || echo /usr/sbin/nats-server)
  "$nats_server" -js -a 127.0.0.1 -p "$port" -sd "$work/jetstream" >"$work/nats.log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  nats_url="nats://127.0.0.1:$port"
}

# Runs "$@" (tagwired and its flags, maybe behind taskset) on a free port
# with its log in $work/server.log; sets server_pid, and address once it
# serves. Exits the script if it does not.
start_tagwired() {
  "$@" --listen=127.0.0.1:0 --metrics_listen= --cache_dir="$work/cache" 2>"$work/server.log" &
  server_pid=$!
  address=
  for _ in $(seq 300); do
    if grep -q '"event":"serving"' "$work/server.log"; then
      address=$(grep -o '"grpc_address":"[^"]*"' "$work/server.log" | head -1 | cut -d'"' -f4)
      return
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$(basename "$0"): tagwired did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
}
