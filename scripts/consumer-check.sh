#!/usr/bin/env bash
# The consumer check: what a third party does with the artifacts, done outside this repository.
#  1. installs the reactor's artifacts into a PRIVATE local repository (never ~/.m2: that one is
#     only read, as a tail, so nothing is downloaded twice and nothing of ours lands in it);
#  2. writes a fresh Maven project in a temporary folder that imports mixtral4j-bom and depends on
#     mixtral4j-api, mixtral4j-tokenizer and mixtral4j-backend-java (runtime), an SLF4J binding,
#     and mixtral4j-testkit (test); its sources are the README's Java example as it stands and
#     two third-party backends: samples/custom-backend's ScalarBackend (a whole backend on the
#     SPI's abstract session) and samples/cli's TracingBackend (a wrapper), both moved to com.example;
#  3. runs `mvn verify` there: a test runs the README example on a generated model, and the
#     conformance kit runs against the example backend (with "no test ran" as a failure).
# Usage: scripts/consumer-check.sh [WORK_DIR]   (default: a new temporary folder, removed after)
# Run by .ci/run after ./mvnw verify; takes a few minutes (a reactor install without tests).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/find-jdk.sh"
java_home="$(find_jdk25)" || { echo "consumer-check: no JDK 25 found (set JAVA_HOME)" >&2; exit 1; }
export JAVA_HOME="$java_home" PATH="$java_home/bin:$PATH"

if [ -n "${1:-}" ]; then
  work="$1"; mkdir -p "$work"
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/mixtral4j-consumer.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
fi
repo="$work/repo"
shared="${MIXTRAL4J_SHARED_REPO:-$HOME/.m2/repository}"
mvn_repo=(-Dmaven.repo.local="$repo" -Dmaven.repo.local.tail="$shared")
version="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' "$root/pom.xml" | head -n1)"
echo "consumer-check: installing mixtral4j $version into $repo"
(cd "$root" && ./mvnw -B -q -ntp "${mvn_repo[@]}" -DskipTests -Dmaven.javadoc.skip=true install)

project="$work/consumer"
rm -rf "$project"
mkdir -p "$project/src/main/java/com/example/tracing" "$project/src/main/java/com/example/scalar" "$project/src/main/resources/META-INF/services" \
         "$project/src/test/java/com/example"

# The README's example, byte for byte: the ```java block after the line naming ReadmeExampleTest.
awk '/ReadmeExampleTest/ {armed=1} armed && /^```java$/ {inside=1; next} inside && /^```$/ {exit} inside {print}' \
    "$root/README.md" > "$project/src/main/java/Hello.java"
grep -q 'public class Hello' "$project/src/main/java/Hello.java" \
  || { echo "consumer-check: no 'public class Hello' example found in README.md" >&2; exit 1; }

# The example third-party backend, as a consumer would write it: in its own package.
examples="$root/samples/cli/src/main/java/dev/mixtral4j/samples/examples"
for f in TracingBackend.java TracingBackendProvider.java; do
  sed 's/^package dev\.mixtral4j\.samples\.examples;/package com.example.tracing;/' "$examples/$f" \
    > "$project/src/main/java/com/example/tracing/$f"
done
custom="$root/samples/custom-backend/src/main/java/dev/mixtral4j/samples/custom"
for f in ScalarBackend.java ScalarBackendProvider.java; do
  sed 's/^package dev\.mixtral4j\.samples\.custom;/package com.example.scalar;/' "$custom/$f" \
    > "$project/src/main/java/com/example/scalar/$f"
done
printf '%s\n' com.example.tracing.TracingBackendProvider com.example.scalar.ScalarBackendProvider \
  > "$project/src/main/resources/META-INF/services/dev.mixtral4j.spi.BackendProvider"

cat > "$project/pom.xml" <<POM
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>mixtral4j-consumer</artifactId>
  <version>1.0</version>
  <properties>
    <maven.compiler.release>25</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>dev.mixtral4j</groupId>
        <artifactId>mixtral4j-bom</artifactId>
        <version>$version</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
      <dependency>
        <groupId>org.junit</groupId>
        <artifactId>junit-bom</artifactId>
        <version>5.13.4</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>dev.mixtral4j</groupId>
      <artifactId>mixtral4j-api</artifactId>
    </dependency>
    <dependency>
      <groupId>dev.mixtral4j</groupId>
      <artifactId>mixtral4j-tokenizer</artifactId>
      <scope>runtime</scope>
    </dependency>
    <dependency>
      <groupId>dev.mixtral4j</groupId>
      <artifactId>mixtral4j-backend-java</artifactId>
      <scope>runtime</scope>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>2.0.17</version>
      <scope>runtime</scope>
    </dependency>
    <dependency>
      <groupId>dev.mixtral4j</groupId>
      <artifactId>mixtral4j-testkit</artifactId>
      <scope>test</scope>
    </dependency>
    <dependency>
      <groupId>org.junit.jupiter</groupId>
      <artifactId>junit-jupiter</artifactId>
      <scope>test</scope>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.14.0</version>
      </plugin>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-surefire-plugin</artifactId>
        <version>3.5.3</version>
        <configuration>
          <argLine>--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED</argLine>
          <failIfNoTests>true</failIfNoTests>
        </configuration>
      </plugin>
    </plugins>
  </build>
</project>
POM

cat > "$project/src/test/java/com/example/TracingBackendConformanceTest.java" <<'JAVA'
package com.example;

import com.example.tracing.TracingBackendProvider;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.testkit.BackendConformanceKit;

/** The example backend (wrapping the java backend) against the conformance kit. */
class TracingBackendConformanceTest extends BackendConformanceKit {
    @Override
    protected Backend backend() {
        return new TracingBackendProvider().backend();
    }
}
JAVA

cat > "$project/src/test/java/com/example/ScalarBackendConformanceTest.java" <<'JAVA'
package com.example;

import com.example.scalar.ScalarBackendProvider;
import dev.mixtral4j.spi.Backend;
import dev.mixtral4j.testkit.BackendConformanceKit;

/** A whole backend written on the SPI's abstract session, outside the repository, against the kit. */
class ScalarBackendConformanceTest extends BackendConformanceKit {
    @Override
    protected Backend backend() {
        return new ScalarBackendProvider().backend();
    }
}
JAVA

cat > "$project/src/test/java/com/example/HelloTest.java" <<'JAVA'
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README example (src/main/java/Hello.java), run on a generated model. */
class HelloTest {
    @Test
    void theReadmeExampleRuns(@TempDir Path dir) throws Exception {
        Path model = SyntheticModel.builder().name("consumer").seed(3).vocabSize(400).contextLength(512)
                .write(dir.resolve("m.gguf"));
        PrintStream out = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            Hello.main(new String[] {model.toString()});
        } finally {
            System.setOut(out);
        }
        String printed = bytes.toString(StandardCharsets.UTF_8);
        out.print(printed);
        assertTrue(printed.contains("tok/s"), printed);
        assertTrue(printed.strip().endsWith("java holds the conversation now"), printed);
    }
}
JAVA
# HelloTest is in the default package, like Hello.
mv "$project/src/test/java/com/example/HelloTest.java" "$project/src/test/java/HelloTest.java"

echo "consumer-check: building $project against $repo"
(cd "$root" && ./mvnw -B -ntp -f "$project/pom.xml" "${mvn_repo[@]}" verify) > "$work/consumer.log" 2>&1 \
  || { tail -n 80 "$work/consumer.log" >&2; echo "consumer-check: FAILED (log: $work/consumer.log)" >&2; exit 1; }
grep -E 'Tests run: [0-9]+, Failures' "$work/consumer.log" | tail -n 1
grep -q 'Tests run: [1-9]' "$work/consumer.log" || { echo "consumer-check: no test ran" >&2; exit 1; }
echo "consumer-check: OK (a fresh project built on the BOM, the api, the java backend and the testkit)"
