#!/usr/bin/env bash
# Builds the Java client example: Maven fetches the pinned dependencies and
# plugins (pom.xml) from Maven Central into ~/.m2, generates the Java
# messages and gRPC stubs from ../../protos/neobridge/**/*.proto with protoc
# and protoc-gen-grpc-java into target/generated-sources/, compiles, and
# shades everything into target/neo-bridge-example-all.jar (run it with run.sh).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
jar=target/neo-bridge-example-all.jar

# Already built from the current sources: skip Maven's few seconds of start-up.
if [ -f "$jar" ] && [ -z "$(find pom.xml src ../../protos/neobridge -newer "$jar" -print -quit)" ]; then
  exit 0
fi
mvn -q -B package
