# syntax=docker/dockerfile:1
# A small image whose entrypoint is a static (musl) infrac:
#
#   docker build -t infrac .
#   docker run --rm -u "$(id -u):$(id -g)" -v "$PWD:/work" infrac check   # the repo at /work
#
# Stage 1 builds with the `dist` profile (fat LTO, Cargo.toml) on Alpine, where the Rust target
# is musl and the binary links statically; stage 2 is that binary alone on an empty image
# (infrac makes no network calls and needs no certificates, shell or libc). `build` writes
# golden/ next to the inputs, so run it as the owner of the mounted directory (`-u`).
ARG RUST_VERSION=1.95
# `build`: compile here (the default). `release`: take the static binaries the release workflow
# already built, release/<amd64|arm64>/infrac, so a multi-platform image needs no emulated compile.
ARG SOURCE=build

FROM rust:${RUST_VERSION}-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
# Dependencies first, so a source change reuses the cached dependency layer.
COPY Cargo.toml Cargo.lock ./
COPY benches benches
COPY examples examples
RUN mkdir -p src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --locked --profile dist --bin infrac \
    && rm -rf src
COPY src src
COPY templates templates
COPY schemas schemas
# `touch` so cargo sees the real sources as newer than the placeholder build.
RUN touch src/main.rs src/lib.rs \
    && cargo build --locked --profile dist --bin infrac \
    && cp target/dist/infrac /infrac \
    && /infrac --version

FROM scratch AS release
ARG TARGETARCH
COPY release/${TARGETARCH}/infrac /infrac

FROM ${SOURCE} AS source

FROM scratch
LABEL org.opencontainers.image.title="infrac" \
      org.opencontainers.image.description="A declarative infrastructure compiler" \
      org.opencontainers.image.source="https://github.com/infrac-dev/infrac" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=source /infrac /usr/local/bin/infrac
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/infrac"]
CMD ["--help"]
