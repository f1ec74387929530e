#!/usr/bin/env bash
# A bounded schemathesis run against the live OpenAPI document of the real binary: the demo
# data on a fresh SQLite folder, a free port, an API token of the demo system administrator.
# Fails (non-zero exit) on any server error (5xx), any status an operation does not document,
# a response whose content type the document does not name, or a body its schema does not allow. Run from the repository root
# after the binary is built (`.ci/run` does both); LIANJIAN_BIN overrides the binary.
#
# One worker: Python 3.11's ast.parse, which hypothesis calls from each worker thread, is not
# thread-safe ("AST constructor recursion depth mismatch").
#
# Bounds: SCHEMATHESIS_MAX_EXAMPLES cases per operation (default 8), SCHEMATHESIS_MAX_TIME
# seconds for the whole run (default 120).
set -euo pipefail
cd "$(dirname "$0")/.."

version=4.32.5
venv="${SCHEMATHESIS_VENV:-$HOME/.cache/lianjian-schemathesis-$version}"
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$version"
fi

target="${CARGO_TARGET_DIR:-target}"
bin="${LIANJIAN_BIN:-$target/debug/lianjian}"
[ -x "$bin" ] || cargo build -q -p lianjian
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$bin" demo --listen "127.0.0.1:$port" --data-dir "$work" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null

# `demo` keeps its database in the data folder; the token is issued there, as an operator would.
token="$("$bin" user token admin --name schemathesis --database-url "sqlite://$work/demo.db" | tail -n 1)"

reports="$(cd "$(dirname "$target")" && pwd)/$(basename "$target")/schemathesis"
set +e
# Run from the scratch folder: schemathesis keeps its example database in `.schemathesis/` of the
# working directory, and a fresh one keeps runs repeatable with the seed.
(cd "$work" && "$venv/bin/schemathesis" run "http://127.0.0.1:$port/api/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-8}" \
  --max-time "${SCHEMATHESIS_MAX_TIME:-120}" \
  --workers 1 \
  --seed "${SCHEMATHESIS_SEED:-1}" \
  --no-shrink \
  --report junit --report-dir "$reports")
status=$?
set -e
if [ "$status" -ne 0 ]; then
  echo "schemathesis failed (exit $status); server log tail:" >&2
  tail -n 50 "$work/server.log" >&2
fi
exit "$status"
