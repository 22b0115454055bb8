#!/usr/bin/env bash
# `make test`: the whole suite, in two pytest processes side by side, so it takes the longer of the two, not their
# sum (most of a test's time here is waiting: for a killed component to come back, a timer, a page, a consumer).
# The side process runs the chaos short run (its own stack on free ports, about 5 minutes), the integration tests
# that kill or stop infrastructure, then the workflow tests (their own Temporal) and the browser tests (their own
# stack), then the PII scan of that stack
# (tests/e2e/test_zz_pii_scan.py: after the browser tests filed on it); the main process runs everything else,
# the PII scan of its own stack last. Each process has its own Kafka, Temporal and PostgreSQL (session fixtures).
# With PYTEST_ARGS, one plain pytest run of just those. Fails when either process fails, and when pytest collects
# no tests (exit code 5 is not success).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

if [ -n "${PYTEST_ARGS:-}" ]; then
  # shellcheck disable=SC2086
  "$PY" -m pytest -ra $PYTEST_ARGS; rc=$?
  [ $rc -eq 5 ] && echo "error: pytest collected no tests" >&2
  exit $rc
fi

# The integration tests that kill or stop infrastructure (and bring their own processes) join the side process: its
# other tests are done in about 9 minutes, the rest in about 15 (at cf18f3f, here).
SIDE_INTEGRATION=(test_bridge_kill.py test_bridge_temporal_down.py test_consumer_failures.py test_dlq_cli.py test_bench_dashboard.py)
SIDE=(tests/chaos "${SIDE_INTEGRATION[@]/#/tests/integration/}" tests/workflows tests/browser tests/e2e/test_zz_pii_scan.py)
MAIN_IGNORE=(--ignore=tests/chaos --ignore=tests/workflows --ignore=tests/browser "${SIDE_INTEGRATION[@]/#/--ignore=tests/integration/}")
side_dir=$(mktemp -d /tmp/whistle-test-side.XXXXXX)
"$PY" -m pytest -ra -p no:cacheprovider --basetemp "$side_dir/tmp" "${SIDE[@]}" >"$side_dir/pytest.log" 2>&1 &
side_pid=$!
trap 'kill "$side_pid" 2>/dev/null' INT TERM

"$PY" -m pytest -ra "${MAIN_IGNORE[@]}"; rc=$?
[ $rc -eq 5 ] && echo "error: pytest collected no tests" >&2

wait "$side_pid"; side_rc=$?
echo
echo "================ ${SIDE[*]} (run beside the rest; log $side_dir/pytest.log) ================"
cat "$side_dir/pytest.log"
[ $side_rc -eq 5 ] && echo "error: pytest collected no tests in ${SIDE[*]}" >&2
if [ $rc -ne 0 ]; then exit $rc; fi
exit $side_rc
