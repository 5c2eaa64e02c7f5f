#!/usr/bin/env bash
# Prints the home of a JDK >= 25, looking at JAVA_HOME, the java on PATH, then /usr/lib/jvm/*.
# Exits 1 with nothing printed when none is found. Sourced by ./mixtral4j and .ci/run.
jdk_major() { # $1 = java home; prints its feature version or nothing
  local rel="$1/release"
  if [ -f "$rel" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel" | head -n1
  elif [ -x "$1/bin/java" ]; then
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n1
  fi
}
find_jdk25() {
  local cands=() h v
  [ -n "${JAVA_HOME:-}" ] && cands+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    cands+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for h in /usr/lib/jvm/* /opt/java/* /opt/jdk*; do [ -d "$h" ] && cands+=("$h"); done
  for h in "${cands[@]}"; do
    [ -x "$h/bin/javac" ] || continue
    v=$(jdk_major "$h")
    if [ -n "$v" ] && [ "$v" -ge 25 ] 2>/dev/null; then echo "$h"; return 0; fi
  done
  return 1
}
if [ "${BASH_SOURCE[0]}" = "$0" ]; then find_jdk25; fi
