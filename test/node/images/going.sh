#!/bin/sh
# The app from the seed incident, fast-forwarded: numbered lines into
# $LOG_DIR/going.YYYY-MM-DD.log, a new day every $DAY_SECONDS, a day's file renamed to
# going.YYYY-MM-DD.log.full.N.log once it passes $SPILL_BYTES (the app's own size spill), and a
# stat.log it appends to forever. Every line carries one sequence number, at its start and at
# its end (seq=N ... end=N), so a reader can tell that every line survived, even one split in
# two by a rotation. After $DURATION_SECONDS (0: never) it prints "going: done lines=N" and
# then idles, or exits if $EXIT_WHEN_DONE=1.
set -eu
LOG_DIR="${LOG_DIR:-/log}"
RATE_BYTES="${RATE_BYTES:-1048576}"
DAY_SECONDS="${DAY_SECONDS:-10}"
SPILL_BYTES="${SPILL_BYTES:-4194304}"
DURATION_SECONDS="${DURATION_SECONDS:-0}"
EXIT_WHEN_DONE="${EXIT_WHEN_DONE:-0}"
FIRST_DAY=1609718400 # 2021-01-04, the seed's first file

# Stopped by a signal, it exits as a process killed by SIGTERM does (143): a pod evicted or
# deleted while writing did not succeed. (With 0, kubelet may report an evicted pod of
# restartPolicy Always as Succeeded and drop the eviction reason.)
trap 'echo "going: stopped lines=$n"; exit 143' TERM INT

[ -d "$LOG_DIR" ] && [ -w "$LOG_DIR" ] || { echo "going: $LOG_DIR is not a writable directory" >&2; exit 1; }

pad='GET /api/orders?page=2&sort=created status=200 bytes=5120 agent="Mozilla/5.0 (X11; Linux x86_64)" upstream=orders-7d9f8b6c5-x2k4q'
line_bytes=$((${#pad} + 64))
# Centiseconds since boot: the shell has no clock finer than that without forking date.
uptime_cs() { read -r up _ < /proc/uptime; echo "${up%.*}${up#*.}"; }

n=0
written=0
start=$(uptime_cs)
day_index=-1
spill=0
day_bytes=0
echo "going: writing about $RATE_BYTES bytes/s into $LOG_DIR, a day every ${DAY_SECONDS}s"
while :; do
  elapsed_cs=$(($(uptime_cs) - start))
  if [ "$DURATION_SECONDS" -gt 0 ] && [ "$elapsed_cs" -ge $((DURATION_SECONDS * 100)) ]; then break; fi
  index=$((elapsed_cs / 100 / DAY_SECONDS))
  if [ "$index" -ne "$day_index" ]; then
    day_index=$index
    day=$(date -u -d "@$((FIRST_DAY + index * 86400))" +%F)
    file="$LOG_DIR/going.$day.log"
    spill=0
    day_bytes=0
  elif [ "$day_bytes" -gt "$SPILL_BYTES" ]; then
    spill=$((spill + 1))
    mv "$file" "$file.full.$spill.log"
    day_bytes=0
  fi
  # Catch up with the rate: as many lines as the elapsed time asks for, however long a tick took.
  per_tick=$((elapsed_cs * RATE_BYTES / 100 / line_bytes - written))
  written=$((written + per_tick))
  i=0
  while [ "$i" -lt "$per_tick" ]; do
    n=$((n + 1))
    i=$((i + 1))
    echo "seq=$n ${day}T12:00:00Z INFO going $pad latency_ms=$((n % 97)) end=$n"
  done >> "$file"
  day_bytes=$((day_bytes + per_tick * line_bytes))
  n=$((n + 1))
  echo "seq=$n ${day}T12:00:00Z stat requests=$n heap_mb=$((120 + n % 40)) end=$n" >> "$LOG_DIR/stat.log"
  sleep 0.1
done
echo "going: done lines=$n"
[ "$EXIT_WHEN_DONE" = 1 ] && exit 0
while :; do sleep 1; done
