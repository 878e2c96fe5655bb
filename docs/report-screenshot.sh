#!/bin/sh
# Makes docs/report-screenshot.png, the README's picture of `smsync status --report`: the demo
# project (examples/) applied against a sandbox gateway on which some numbers fail (as real
# ones do), its delivery reports received by `smsync dlr serve`, then the report rendered by
# headless Chromium. Run from anywhere: sh docs/report-screenshot.sh (needs .venv, chromium).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
PATH="$root/.venv/bin:$PATH"
work=$(mktemp -d "${TMPDIR:-/tmp}/smsync-report.XXXXXX")
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
cp -R "$root/examples/." "$work/demo"
rm -rf "$work/demo/.smsync"

# first line of a server's output holds its URL: wait for it
url_of() {
  for _ in $(seq 100); do
    found=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$1" | head -n 1 || true)
    if [ -n "$found" ]; then echo "$found"; return; fi
    sleep 0.1
  done
  cat "$1" >&2; exit 1
}

token=report-screenshot-token-0123456789
SMSYNC_DLR_TOKEN=$token smsync dlr serve "$work/demo" --port 0 --quiet > "$work/dlr.log" 2>&1 &
pids="$pids $!"
dlr=$(url_of "$work/dlr.log")
# Some numbers end undelivered, rejected or expired; some have no WhatsApp (SMS fallback);
# delivery reports come 1.5 s after each send, through the receiver above.
smsync sandbox serve --port 0 --quiet --account demo:demo-pass \
  --dlr-url "$dlr/$token/dlr?msgid=%id&status=%s" --dlr-delay-ms 1500 \
  --final-state 62877=UNDELIVRD --final-state 628592=REJECTED --final-state 6281394=EXPIRED \
  --no-wa 62896 > "$work/sandbox.log" 2>&1 &
pids="$pids $!"
gateway=$(url_of "$work/sandbox.log")

export SMSYNC_PASSWORD=demo-pass
smsync apply "$work/demo" --endpoint "$gateway" --auto-approve --rate 3 > /dev/null
sleep 3
smsync status "$work/demo" --endpoint "$gateway" --report "$work/report.html" > /dev/null
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
  --user-data-dir="$work/chromium" --window-size=1100,1000 \
  --screenshot="$root/docs/report-screenshot.png" "file://$work/report.html" 2> /dev/null
echo "wrote $root/docs/report-screenshot.png"
