# syntax=docker/dockerfile:1
# Build: docker build -t finstage .   Run: docker run -e DATABASE_URL=... -p 8080:8080 finstage

FROM rust:1.95-bookworm AS build
# rdkafka builds librdkafka from source with cmake (libcurl's headers come with this image).
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so source edits do not rebuild them. The manifest names the benches,
# so their files must exist for cargo to read it.
COPY Cargo.toml Cargo.lock ./
COPY benches ./benches
RUN mkdir src && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
 && cargo build --release --locked \
 && rm -rf src
COPY src ./src
COPY migrations ./migrations
RUN touch src/main.rs src/lib.rs && cargo build --release --locked

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home finstage
COPY --from=build /src/target/release/finstage /usr/local/bin/finstage
USER 10001
ENV LISTEN_ADDR=0.0.0.0:8080 LOG_FORMAT=json RUST_LOG=info
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/finstage"]
CMD ["serve", "--migrate"]
