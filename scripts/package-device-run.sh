#!/usr/bin/env bash
# Prepares what a GPU machine without Java, Maven or network needs to run the CUDA backend:
# a JDK 25 runtime image made with jlink (only the modules the jars use, no debug info, man
# pages or headers) plus the built jars, in one folder well under 64 MiB:
#
#   <out>/jdk/                 the runtime image
#   <out>/lib/*.jar            the CLI with every backend, and the test class path of backend-cuda
#   <out>/test-classes/        backend-cuda's compiled tests
#   <out>/run-tests.sh         runs backend-cuda's tests there (DeviceTestMain)
#   <out>/mixtral4j.sh         the CLI, e.g. ./mixtral4j.sh bench --backends cuda,java ...
#                              (without the llama.cpp backend, to stay under the size limit)
#
# Usage: scripts/package-device-run.sh [OUT_DIR]   (default: target/device-run, git-ignored)
# MIXTRAL4J_NO_BUILD=1 reuses the jars of the last build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/target/device-run}"
limit=$((64 * 1024 * 1024))

. "$root/scripts/find-jdk.sh"
java_home="$(find_jdk25)" || { echo "no JDK 25 found (set JAVA_HOME)" >&2; exit 1; }
export JAVA_HOME="$java_home" PATH="$java_home/bin:$PATH"

if [ "${MIXTRAL4J_NO_BUILD:-}" != "1" ]; then
  echo "building samples and backend-cuda (tests compiled, not run)..."
  (cd "$root" && ./mvnw -q -B -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true package dependency:build-classpath \
      -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt -pl samples/cli,backend-cuda -am)
fi

cp_file="$root/backend-cuda/target/test-classpath.txt"
[ -f "$cp_file" ] || { echo "missing $cp_file: build first (without MIXTRAL4J_NO_BUILD)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/lib"

copy_jar() { # $1 = jar or classes directory
  local src="$1" name
  # Not needed on the GPU machine, and together 13 MiB of the budget: llama.cpp's CPU natives
  # and ArchUnit (the module-rule tests run in CI, not there).
  case "$(basename "$src")" in mixtral4j-backend-llamacpp-*|archunit*) return 0;; esac
  if [ -d "$src" ]; then
    # a reactor module's classes directory (e.g. api/core/target/classes): pack it as a jar
    # named after the module's path (api-core-classes.jar)
    name="$(dirname "$(dirname "${src#"$root"/}")" | tr '/' '-')-$(basename "$src").jar"
    jar --create --file "$out/lib/$name" -C "$src" .
  elif [ -f "$src" ]; then
    cp -n "$src" "$out/lib/"
  fi
}

for j in "$root"/samples/cli/target/mixtral4j-samples-cli-*.jar "$root"/samples/cli/target/lib/*.jar; do
  case "$j" in *-sources.jar|*-javadoc.jar) continue;; esac
  copy_jar "$j"
done
tr ':' '\n' < "$cp_file" | while read -r entry || [ -n "$entry" ]; do [ -n "$entry" ] && copy_jar "$entry"; done
copy_jar "$root/backend-cuda/target/mixtral4j-backend-cuda-0.1.0-SNAPSHOT.jar"
cp -r "$root/backend-cuda/target/test-classes" "$out/test-classes"

# The JDK modules the jars need (jdeps jar by jar: modular jars cannot be analysed together
# without their whole module graph), plus the ones used reflectively or by flag.
mods="jdk.incubator.vector,jdk.unsupported,java.logging,jdk.zipfs"
for j in "$out"/lib/*.jar; do
  m="$(jdeps --ignore-missing-deps --print-module-deps --multi-release 25 -q "$j" 2>/dev/null || true)"
  if [[ "$m" =~ ^[a-z][a-z0-9.,]*$ ]]; then mods="$mods,$m"; fi
done
# Left out unless MIXTRAL4J_JLINK_ALL=1: debugger/agent modules javassist can use, and
# java.desktop (java.beans), which only jinjava's chat templates touch; tests and bench do not.
drop='^(java.desktop|java.datatransfer|java.prefs|java.compiler|java.instrument|jdk.attach|jdk.jdi|jdk.jdwp.agent|jdk.internal.jvmstat)$'
if [ "${MIXTRAL4J_JLINK_ALL:-}" = "1" ]; then drop='^$'; fi
mods="$(echo "$mods" | tr ',' '\n' | grep -v '^$' | grep -E -v "$drop" | sort -u | paste -sd, -)"
echo "jlink modules: $mods"
jlink --add-modules "$mods" --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output "$out/jdk"
# The runtime's native libraries still carry symbol tables (libjvm.so: 5 MiB of them).
if command -v strip >/dev/null 2>&1; then
  find "$out/jdk" -name '*.so' -exec chmod u+w {} + -exec strip --strip-unneeded {} +
fi

flags='--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED'
cat > "$out/run-tests.sh" <<SH
#!/usr/bin/env bash
# backend-cuda's tests on this machine (exit 1: a failure; 2: no GPU, everything skipped)
here="\$(cd "\$(dirname "\$0")" && pwd)"
exec "\$here/jdk/bin/java" $flags -cp "\$here/test-classes:\$here/lib/*" dev.mixtral4j.backend.cuda.DeviceTestMain "\$@"
SH
cat > "$out/mixtral4j.sh" <<SH
#!/usr/bin/env bash
here="\$(cd "\$(dirname "\$0")" && pwd)"
exec "\$here/jdk/bin/java" $flags \${MIXTRAL4J_JAVA_OPTS:-} -cp "\$here/lib/*" dev.mixtral4j.samples.cli.Mixtral4jCli "\$@"
SH
chmod +x "$out/run-tests.sh" "$out/mixtral4j.sh"

size=$(du -sb "$out" | cut -f1)
echo "device bundle: $out, $((size / 1024 / 1024)) MiB ($(du -sb "$out/jdk" | cut -f1 | awk '{printf "%d", $1/1048576}') MiB runtime image, $(ls "$out/lib" | wc -l) jars)"
if [ "$size" -gt "$limit" ]; then
  echo "bundle exceeds 64 MiB" >&2
  exit 1
fi
