# syntax=docker/dockerfile:1
# clusterdns container image: a Swift build stage, then a slim Debian runtime with libldns.
#
# NOT BUILT HERE: the development machines and CI have no Docker engine, so this file is kept
# minimal and is not exercised by the tests. Build and run:
#   docker build -t clusterdns .
#   docker run --rm -p 127.0.0.1:5353:53/udp -p 127.0.0.1:8053:8053 \
#     -v "$PWD/examples:/manifests:ro" clusterdns --manifests /manifests
# Arguments after the image name are added to `clusterdns serve` (see `clusterdns serve --help`).

# Package.swift needs swift-tools-version 6.1 or later.
ARG SWIFT_VERSION=6.1

FROM swift:${SWIFT_VERSION}-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libldns-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The whole package (Package.swift names the test and fuzz targets too); .dockerignore leaves
# out build directories.
COPY . .
RUN swift build -c release --static-swift-stdlib --product clusterdns \
 && install -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/clusterdns" /usr/local/bin/clusterdns

FROM debian:bookworm-slim
# libldns3: zone files and wire format; libcurl4: FoundationNetworking (the CLI's HTTP client),
# which --static-swift-stdlib links dynamically; ca-certificates: HTTPS to a Kubernetes API.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libldns3 libcurl4 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/clusterdns /usr/local/bin/clusterdns
WORKDIR /var/lib/clusterdns
# Docker (20.10+) sets net.ipv4.ip_unprivileged_port_start=0 in containers, so port 53 needs no root.
USER 65534:65534
EXPOSE 53/udp 53/tcp 8053
ENTRYPOINT ["clusterdns", "serve", "--listen", "0.0.0.0:53", "--admin", "0.0.0.0:8053"]
