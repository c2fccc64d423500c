# syntax=docker/dockerfile:1
#
# neo-bridge container image.
#
#   docker build -t neo-bridge .                          # the product image
#   docker build --target emulator -t neo-emulator .      # optional: neo-emulator
#
# Stages: `protos` fetches the google/rpc protos (npm, pinned by
# protos/package-lock.json); `build` compiles neo-bridge on debian:bookworm
# with the Debian packages setup.sh uses (tests off); `emulator-build` adds
# neo-emulator; `emulator` is the optional neo-emulator image; the last stage,
# the default target, is the neo-bridge runtime on debian:bookworm-slim.
# The runtime packages are listed once, in image/runtime-packages.txt, and
# installed by image/rootfs-setup.sh, which image/build_image.sh (the
# daemonless build) runs too.

ARG DEBIAN_IMAGE=debian:bookworm
ARG DEBIAN_SLIM_IMAGE=debian:bookworm-slim

# --- google/rpc protos -------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS protos
# Package versions are bookworm's current ones (security updates included),
# not pinned one by one.
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src/protos
COPY protos/package.json protos/package-lock.json ./
# Only the .proto files of google-proto-files are used; no install scripts.
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

# --- build -------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS build
# setup.sh's build packages, less the test, lint and fuzz tooling (googletest,
# clang, clang-format) and git, which the build does not use.
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config ca-certificates \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      libcurl4-openssl-dev nlohmann-json3-dev libabsl-dev libevent-dev \
      libssl-dev prometheus-cpp-dev \
 && rm -rf /var/lib/apt/lists/*
COPY --from=protos /src/protos/node_modules/google-proto-files /opt/google-proto-files
WORKDIR /src
# What the CMake configure reads (tests off); .dockerignore keeps the rest of
# the tree out of the context.
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY protos/ protos/
COPY bridge/ bridge/
COPY emulator/ emulator/
COPY benchmarks/ benchmarks/
COPY client_examples/ client_examples/
ARG CMAKE_BUILD_TYPE=RelWithDebInfo
RUN cmake -S . -B /build -G Ninja \
      -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE}" \
      -DNEOBRIDGE_BUILD_TESTS=OFF \
      -DGOOGLEAPIS_PROTO_DIR=/opt/google-proto-files \
 && cmake --build /build --target neo-bridge \
 && strip --strip-unneeded -o /neo-bridge /build/bridge/server/neo-bridge \
 && /neo-bridge --version

FROM build AS emulator-build
RUN cmake --build /build --target neo-emulator \
 && strip --strip-unneeded -o /neo-emulator /build/emulator/neo-emulator

# --- optional: neo-emulator image (docker build --target emulator) ----------
FROM ${DEBIAN_SLIM_IMAGE} AS emulator
COPY image/emulator-runtime-packages.txt image/rootfs-setup.sh /tmp/image/
RUN sh /tmp/image/rootfs-setup.sh /tmp/image/emulator-runtime-packages.txt \
 && rm -rf /tmp/image
COPY --from=emulator-build /neo-emulator /usr/local/bin/neo-emulator
LABEL org.opencontainers.image.title="neo-emulator" \
      org.opencontainers.image.description="Local implementation of the Pulumi Neo agent-tasks API, for tests"
ENV NEO_EMULATOR_LISTEN=0.0.0.0:8080
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/neo-emulator"]

# --- neo-bridge runtime (the default target) ---------------------------------
FROM ${DEBIAN_SLIM_IMAGE} AS runtime
COPY image/runtime-packages.txt image/rootfs-setup.sh /tmp/image/
RUN sh /tmp/image/rootfs-setup.sh /tmp/image/runtime-packages.txt \
 && rm -rf /tmp/image
COPY --from=build /neo-bridge /usr/local/bin/neo-bridge
LABEL org.opencontainers.image.title="neo-bridge" \
      org.opencontainers.image.description="gRPC API for Pulumi Neo agent tasks"
ENV NEO_BRIDGE_LISTEN=0.0.0.0:50051 \
    NEO_BRIDGE_METRICS_LISTEN=0.0.0.0:9090
USER 65532:65532
EXPOSE 50051 9090
ENTRYPOINT ["/usr/local/bin/neo-bridge"]
