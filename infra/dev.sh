#!/usr/bin/env bash
# `make dev`: the whole service on this machine. Emulated AWS (moto) with the table, KMS key
# and secrets; a demo tenant with API key `local-dev-key`; the Google sandbox; and the Lambda
# functions under `cargo lambda watch`, routed like API Gateway. Ctrl-C stops all of it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

MOTO_PORT=${MOTO_PORT:-4566}
SANDBOX_PORT=${SANDBOX_PORT:-9100}
API_PORT=${API_PORT:-9000}
logs="$root/.local/logs"
mkdir -p "$logs"

bin=$(infra/ensure-venv.sh)
set -a; . infra/local.env; set +a
export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
export GOOGLE_BASE_URL="http://127.0.0.1:$SANDBOX_PORT"
export PUBLIC_BASE_URL="http://127.0.0.1:$API_PORT"

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "stopping: ${pids[*]:-nothing}"
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

wait_for() { # url, name, pid
  for _ in $(seq 1 150); do
    if python3 -c "import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" "$1" 2>/dev/null; then return 0; fi
    kill -0 "$3" 2>/dev/null || { echo "$2 exited; see $logs" >&2; exit 1; }
    sleep 0.2
  done
  echo "$2 did not come up at $1; see $logs" >&2; exit 1
}

# A port that already answers belongs to something else (another `make dev`?): say so.
for port in "$MOTO_PORT" "$SANDBOX_PORT" "$API_PORT"; do
  if python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.5); sys.exit(s.connect_ex(('127.0.0.1', int(sys.argv[1]))) != 0)" "$port"; then
    echo "port $port is already in use (another make dev?); stop it or set MOTO_PORT/SANDBOX_PORT/API_PORT" >&2
    exit 1
  fi
done

echo "building the workspace..."
# Separately: cargo lambda watch builds the functions package on its own feature set.
cargo build --quiet -p functions
cargo build --quiet -p cas-admin -p google-sandbox

# Each service in its own process group (setsid) so Ctrl-C stops its children too.
# moto_server through infra/moto_server.py: SendMessage no longer slows as the queue fills.
setsid "$bin/python" infra/moto_server.py -H 127.0.0.1 -p "$MOTO_PORT" >"$logs/moto.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$MOTO_PORT/moto-api/" moto "${pids[-1]}"

target/debug/cas-admin bootstrap-local >/dev/null
# Scheduled imports: the queue and its dead-letter queue (infra/imports_local.py, as template.yaml).
export IMPORTS_QUEUE_URL
IMPORTS_QUEUE_URL=$("$bin/python" infra/imports_local.py queues)
tenant=$(target/debug/cas-admin create-tenant --name "Local demo" \
  --redirect-uri http://127.0.0.1:8765/callback --redirect-uri http://localhost:8765/callback \
  --credits 1000 --api-key local-dev-key)
grep -v '^API key' <<<"$tenant" || true
# 10 requests per second, so a burst (e.g. 20 quick calls) shows 429 RATE_LIMITED locally.
tenant_id=$(grep -o 'tnt_[0-9a-f]*' <<<"$tenant" | head -n1)
target/debug/cas-admin set-rate-limit --tenant "$tenant_id" --requests 10 --window-seconds 1

# The demo investor's mailbox, dated relative to today so the default 30-day window has CAS
# mail in it (see infra/fixtures/README.md).
mailboxes="$root/.local/mailboxes"
mkdir -p "$mailboxes/demo.investor@gmail.com" "$mailboxes/second.investor@gmail.com"
"$bin/python" infra/fixtures/demo_mailbox.py --out "$mailboxes/demo.investor@gmail.com" \
  --today "$(date -u +%F)" >/dev/null

setsid target/debug/google-sandbox --listen "127.0.0.1:$SANDBOX_PORT" --mailboxes "$mailboxes" \
  --redirect-uri "$PUBLIC_BASE_URL/v4/inbox/callback" >"$logs/google-sandbox.log" 2>&1 &
pids+=($!)
wait_for "$GOOGLE_BASE_URL/_sandbox/health" google-sandbox "${pids[-1]}"

# cargo lambda watch reads the router from functions/Cargo.toml (hence --package) and gives
# the functions only the environment named in --env-file.
env_file="$root/.local/functions.env"
for v in AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL TABLE_NAME KMS_KEY_ID \
         INBOX_TOKEN_SECRET_ID GOOGLE_CLIENT_SECRET_ID DOWNLOAD_LINK_SECRET_ID FILES_BUCKET GOOGLE_BASE_URL PUBLIC_BASE_URL \
         ALLOW_LOCAL_PDF_URLS IMPORTS_QUEUE_URL; do
  printf '%s=%s\n' "$v" "${!v}"
done >"$env_file"
(cd functions && exec setsid "$bin/cargo-lambda" lambda watch --package functions \
   --invoke-address 127.0.0.1 --invoke-port "$API_PORT" --env-file "$env_file") \
  >"$logs/functions.log" 2>&1 &
pids+=($!)

# What the Lambda service does with the imports queue: feed its messages to the `imports`
# function (`make import-now` fires the schedule once and waits for the queue to drain).
LAMBDA_INVOKE_URL="http://127.0.0.1:$API_PORT" setsid "$bin/python" infra/imports_local.py poll \
  >"$logs/imports-poller.log" 2>&1 &
pids+=($!)

cat <<INFO

CAS Inbox Import is starting locally:
  API (cargo lambda watch)  http://127.0.0.1:$API_PORT/v4/inbox/connect  (+ callback, status, cas, disconnect, /v4/files/…)
  API key                   local-dev-key   (10 requests/s)  redirect URIs http://127.0.0.1:8765/callback, http://localhost:8765/callback
  Google sandbox            $GOOGLE_BASE_URL  (consent page; demo account demo.investor@gmail.com)
  demo mailbox              $mailboxes/demo.investor@gmail.com  (every CAS opens with the PAN ABCDE1234F)
  AWS emulator (moto)       $AWS_ENDPOINT_URL  table $TABLE_NAME, key $KMS_KEY_ID
  scheduled imports         make import-now  (queue $IMPORTS_QUEUE_URL; poller log imports-poller.log)
  webhook receiver          python3 infra/webhook-receiver/receiver.py --secret whsec_…  (http://127.0.0.1:8787/hook)
  logs                      $logs/
The first request compiles and starts each function (a few seconds). Ctrl-C stops everything.
INFO
wait "${pids[@]}"
