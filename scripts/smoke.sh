#!/usr/bin/env bash
# Smoke test of a real Ollama or vLLM (or any OpenAI-compatible server, e.g. llama-server) install,
# end to end: the server answers, the model is there, one short completion, one stream. One line per
# step, PASS or FAIL; exits non-zero at the first failure. Needs bash and curl only: the JSON is read
# with grep/sed, just enough for the fields checked here (no jq).
#
#   scripts/smoke.sh --ollama [URL] [--model NAME] [--timeout SECONDS]
#   scripts/smoke.sh --vllm   [URL] [--model NAME] [--timeout SECONDS]
#
# URL defaults to http://127.0.0.1:11434 (Ollama) or http://127.0.0.1:8000 (vLLM); NAME to the first
# model the server lists; SECONDS (per request, default 120) bounds each completion.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/smoke.sh --ollama [URL] | --vllm [URL]  [--model NAME] [--timeout SECONDS]
  --ollama [URL]   check an Ollama server (default http://127.0.0.1:11434)
  --vllm [URL]     check a vLLM / OpenAI-compatible server (default http://127.0.0.1:8000)
  --model NAME     the model to check (default: the first one the server lists)
  --timeout SECS   bound for each completion request (default 120)
EOF
}

kind='' url='' model='' timeout=120
while [ $# -gt 0 ]; do
  case "$1" in
    --ollama | --vllm)
      kind="${1#--}"
      if [ $# -gt 1 ] && [ "${2#--}" = "$2" ]; then url="$2"; shift; fi
      ;;
    --model) [ $# -gt 1 ] || { usage >&2; exit 2; }; model="$2"; shift ;;
    --timeout) [ $# -gt 1 ] || { usage >&2; exit 2; }; timeout="$2"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "smoke: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[ -n "$kind" ] || { echo "smoke: say which server: --ollama or --vllm" >&2; usage >&2; exit 2; }
case "$timeout" in '' | *[!0-9]*) echo "smoke: --timeout wants whole seconds, got: $timeout" >&2; exit 2 ;; esac
command -v curl >/dev/null 2>&1 || { echo "FAIL setup: curl is not installed (the smoke test talks HTTP through it)"; exit 1; }
if [ -z "$url" ]; then
  if [ "$kind" = ollama ]; then url='http://127.0.0.1:11434'; else url='http://127.0.0.1:8000'; fi
fi
url="${url%/}"

work="$(mktemp -d "${TMPDIR:-/tmp}/acode-smoke.XXXXXX")"
trap 'rm -rf "$work"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; exit 1; }

# http METHOD PATH [BODY] [MAX_SECONDS]: the body goes to $work/body, the status to $status; curl's own
# failure (refused, timed out) to $curl_error.
status='' curl_error=''
http() {
  local method="$1" path="$2" body="${3:-}" max="${4:-10}"
  local args=(--silent --show-error --no-buffer --connect-timeout 5 --max-time "$max" -X "$method"
    -o "$work/body" -w '%{http_code}' "$url$path")
  [ -z "$body" ] || args+=(-H 'Content-Type: application/json' --data-binary "$body")
  curl_error=''
  if ! status="$(curl "${args[@]}" 2>"$work/err")"; then
    curl_error="$(tr '\n' ' ' <"$work/err" | sed 's/ *$//')"
    status="${status:-000}"
    return 1
  fi
}

# The first string value of KEY in the JSON in $work/body (good enough for the flat fields read here).
first_string() {
  grep -o "\"$1\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" "$work/body" | head -n 1 | sed 's/.*:[[:space:]]*"\(.*\)"$/\1/' || true
}

# A server error message, if the body carries one ({"error":"..."} or {"error":{"message":"..."}}).
error_text() {
  grep -o '"error"[[:space:]]*:[[:space:]]*"[^"]*"' "$work/body" | head -n 1 | sed 's/.*:[[:space:]]*"\(.*\)"$/\1/' || true
  grep -o '"message"[[:space:]]*:[[:space:]]*"[^"]*"' "$work/body" | head -n 1 | sed 's/.*:[[:space:]]*"\(.*\)"$/\1/' || true
}

# Why a request did not succeed, in a few words.
why() {
  if [ -n "$curl_error" ]; then echo "$curl_error"; return; fi
  local msg
  msg="$(error_text | head -n 1)"
  echo "HTTP $status${msg:+: $msg}"
}

json_escape() { local s="${1//\\/\\\\}"; printf '%s' "${s//\"/\\\"}"; }

# --- 1. detect ------------------------------------------------------------------------------------
if [ "$kind" = ollama ]; then
  if http GET /api/version && [ "$status" = 200 ] && grep -q '"version"' "$work/body"; then
    pass "detect: Ollama $(first_string version) answers at $url (GET /api/version)"
  else
    fail "detect: no Ollama at $url (GET /api/version: $(why))"
  fi
else
  if http GET /health && [ "$status" = 200 ]; then
    version=''
    if http GET /version && [ "$status" = 200 ]; then version="$(first_string version)"; fi
    pass "detect: server${version:+ (vLLM $version)} answers at $url (GET /health 200)"
  else
    fail "detect: no healthy server at $url (GET /health: $(why))"
  fi
fi

# --- 2. model present -----------------------------------------------------------------------------
if [ "$kind" = ollama ]; then route=/api/tags key=name; else route=/v1/models key=id; fi
http GET "$route" && [ "$status" = 200 ] || fail "model: cannot list models (GET $route: $(why))"
listed="$(grep -o "\"$key\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" "$work/body" | sed 's/.*:[[:space:]]*"\(.*\)"$/\1/' || true)"
# Ollama's tags carry no other "name" key; vLLM's permission cards have ids too, but after the model's.
[ -n "$listed" ] || fail "model: the server lists no model (GET $route)"
if [ -z "$model" ]; then
  model="${listed%%$'\n'*}"
  pass "model: $model is served (the first of GET $route)"
else
  wanted="$model"
  # Ollama: a name without a tag means :latest.
  if [ "$kind" = ollama ] && [ "${wanted#*:}" = "$wanted" ]; then wanted="$wanted:latest"; fi
  if printf '%s\n' "$listed" | grep -qxF -e "$model" -e "$wanted"; then
    pass "model: $model is listed (GET $route)"
  else
    fail "model: $model is not listed by GET $route (it has: $(printf '%s\n' "$listed" | grep -v '^modelperm-' | head -n 5 | paste -sd, -))"
  fi
fi

# --- 3. one short completion ----------------------------------------------------------------------
name="$(json_escape "$model")"
messages='[{"role":"user","content":"Say hello in one word."}]'
if [ "$kind" = ollama ]; then
  route=/api/chat
  request() { echo "{\"model\":\"$name\",\"messages\":$messages,\"stream\":$1,\"options\":{\"temperature\":0,\"num_predict\":8}}"; }
else
  route=/v1/chat/completions
  request() { echo "{\"model\":\"$name\",\"messages\":$messages,\"stream\":$1,\"max_tokens\":8,\"temperature\":0}"; }
fi
started=$SECONDS
http POST "$route" "$(request false)" "$timeout" && [ "$status" = 200 ] || fail "completion: POST $route failed ($(why))"
if [ "$kind" = ollama ]; then
  grep -q '"done"[[:space:]]*:[[:space:]]*true' "$work/body" && grep -q '"message"' "$work/body" ||
    fail "completion: POST $route answered 200 without a finished message"
else
  grep -q '"choices"' "$work/body" && grep -q '"finish_reason"' "$work/body" ||
    fail "completion: POST $route answered 200 without choices"
fi
text="$(first_string content | cut -c1-40)"
pass "completion: POST $route answered in $((SECONDS - started)) s (max 8 tokens, temperature 0): \"$text\""

# --- 4. one stream --------------------------------------------------------------------------------
started=$SECONDS
if [ "$kind" = ollama ]; then chunk='"done"[[:space:]]*:[[:space:]]*false'; else chunk='^data: {'; fi
if ! http POST "$route" "$(request true)" "$timeout" || [ "$status" != 200 ]; then
  chunks="$(grep -c "$chunk" "$work/body" 2>/dev/null || true)"
  fail "stream: POST $route failed after ${chunks:-0} chunks ($(why))"
fi
chunks="$(grep -c "$chunk" "$work/body" || true)"
if [ "$kind" = ollama ]; then
  # NDJSON: one object per line; the last has "done":true, and an error arrives as {"error":...}.
  grep -q '"error"' "$work/body" && fail "stream: the server sent an error mid-stream: $(error_text | head -n 1)"
  [ "$chunks" -ge 1 ] || fail "stream: no chunk before the end (POST $route)"
  tail -n 1 "$work/body" | grep -q '"done"[[:space:]]*:[[:space:]]*true' ||
    fail "stream: $chunks chunks but no final \"done\":true (cut off?)"
  marker='"done":true'
else
  # SSE: data: {json} records, then data: [DONE]; an error arrives as a data: {"error":...} record.
  grep -q '^data: {"error"' "$work/body" && fail "stream: the server sent an error mid-stream: $(error_text | head -n 1)"
  grep -q '^error:' "$work/body" && fail "stream: the server sent an error event mid-stream"
  [ "$chunks" -ge 1 ] || fail "stream: no chunk before the end (POST $route)"
  grep -q '^data: \[DONE\]' "$work/body" || fail "stream: $chunks chunks but no data: [DONE] (cut off?)"
  marker='data: [DONE]'
fi
pass "stream: POST $route streamed $chunks chunks and $marker in $((SECONDS - started)) s"
