# Sourced by start.sh and stop.sh. A killed server stays a zombie until its new parent reaps it, and kill -0 succeeds
# on a zombie: these look at the process state instead.

# $1 is a live process (not a zombie).
pid_alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  set -- ${stat##*) }
  [ "$1" != Z ]
}

# Some live process is in the process group $1.
group_alive() {
  local f stat group="$1"
  for f in /proc/[0-9]*/stat; do
    stat="$(cat "$f" 2>/dev/null)" || continue
    set -- ${stat##*) }
    [ "$1" != Z ] && [ "$3" = "$group" ] && return 0
  done
  return 1
}
