#!/usr/bin/env bash
# Run a command and print its resident memory every INTERVAL seconds (VmRSS, and VmHWM: the peak so
# far, from /proc/<pid>/status), then its peak over the whole run (getrusage, through /usr/bin/time when
# it is installed). Used for the memory figures in benchmarks/README.md:
#   benchmarks/rss_sample.sh 10 build/ci/harness/cli/ringkernel run scenarios/pipeline.yaml --set duration=600s --quiet
set -euo pipefail
interval=${1:?usage: rss_sample.sh INTERVAL_SECONDS COMMAND...}
shift
if [[ -x /usr/bin/time ]]; then
  /usr/bin/time -f 'peak RSS (getrusage) %M kB' "$@" &
  launcher=$!
  pid=""
  for _ in $(seq 100); do
    pid=$(pgrep -P "$launcher" || true)
    [[ -z $pid ]] || break
    sleep 0.05
  done
  pid=${pid:-$launcher}
else
  "$@" &
  launcher=$!
  pid=$launcher
fi
start=$(date +%s)
while kill -0 "$pid" 2>/dev/null; do
  if status=$(cat "/proc/$pid/status" 2>/dev/null); then
    rss=$(awk '/^VmRSS:/ {print $2}' <<<"$status")
    hwm=$(awk '/^VmHWM:/ {print $2}' <<<"$status")
    [[ -n $rss ]] && printf 't=%4ds  VmRSS %7d kB  VmHWM %7d kB\n' $(( $(date +%s) - start )) "$rss" "$hwm"
  fi
  for ((i = 0; i < interval * 10; ++i)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
done
wait "$launcher" && rc=0 || rc=$?
printf 'exit %d after %ds\n' "$rc" $(( $(date +%s) - start ))
exit "$rc"
