#!/bin/sh
# The README's demo: plan and apply the example phonebook against the embedded sandbox
# gateway, then plan again to show that nothing is left to change. Runs in a fresh temporary
# copy of examples/, so it can be run any number of times, and removes that copy when it ends
# (however it ends), unless run as `demo.sh --keep`. Needs smsync on PATH or in .venv.
set -eu
keep=no
if [ "${1:-}" = "--keep" ]; then keep=yes; fi
here=$(cd "$(dirname "$0")" && pwd)
# The smsync of this checkout's .venv (the README's quick start) comes first.
if [ -x "$here/../.venv/bin/smsync" ]; then
  PATH="$here/../.venv/bin:$PATH"
fi
demo=$(mktemp -d "${TMPDIR:-/tmp}/smsync-demo.XXXXXX")
if [ "$keep" = no ]; then
  trap 'rm -rf "$demo"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
fi
cp -R "$here/." "$demo"
rm -rf "$demo/.smsync"
echo "== demo project: $demo (endpoint sandbox://.smsync/sandbox.sqlite, no server needed)"
step() { echo; echo "\$ $*"; "$@"; }
step smsync validate "$demo"
step smsync plan "$demo"
step smsync apply "$demo" --auto-approve
step smsync plan "$demo" --detailed-exitcode
step smsync status "$demo" --report "$demo/delivery-report.html"
if [ "$keep" = yes ]; then
  echo; echo "Inspect the sandbox: smsync sandbox show --db $demo/.smsync/sandbox.sqlite"
  echo "Open the delivery report: $demo/delivery-report.html"
else
  echo; echo "Removed $demo (run examples/demo.sh --keep to keep it and inspect the sandbox)"
fi
