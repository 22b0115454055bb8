#!/usr/bin/env bash
# `make test`: the whole suite. The chaos short run (tests/chaos: its own stack, Kafka, Temporal and PostgreSQL on
# free ports; about 5 minutes, mostly waiting for killed components to come back) runs beside the rest in a second
# pytest process, so the suite takes the longer of the two, not their sum. With PYTEST_ARGS, one plain pytest run of
# just those. Fails when either process fails, and when pytest collects no tests (exit code 5 is not success).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

if [ -n "${PYTEST_ARGS:-}" ]; then
  # shellcheck disable=SC2086
  "$PY" -m pytest -ra $PYTEST_ARGS; rc=$?
  [ $rc -eq 5 ] && echo "error: pytest collected no tests" >&2
  exit $rc
fi

chaos_dir=$(mktemp -d /tmp/whistle-test-chaos.XXXXXX)
"$PY" -m pytest -ra -p no:cacheprovider --basetemp "$chaos_dir/tmp" tests/chaos >"$chaos_dir/pytest.log" 2>&1 &
chaos_pid=$!
trap 'kill "$chaos_pid" 2>/dev/null' INT TERM

"$PY" -m pytest -ra --ignore=tests/chaos; rc=$?
[ $rc -eq 5 ] && echo "error: pytest collected no tests" >&2

wait "$chaos_pid"; chaos_rc=$?
echo
echo "================ tests/chaos (run beside the rest; log $chaos_dir/pytest.log) ================"
cat "$chaos_dir/pytest.log"
[ $chaos_rc -eq 5 ] && echo "error: pytest collected no chaos tests" >&2
if [ $rc -ne 0 ]; then exit $rc; fi
exit $chaos_rc
