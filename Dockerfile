# Herald in a container: a build stage with the Rust toolchain, a small Debian runtime running as a
# non-root user. `docker compose up` builds it; see docker-compose.yml.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY templates templates
COPY config config
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/herald herald \
    && mkdir -p /var/lib/herald && chown herald /var/lib/herald
COPY --from=build /src/target/release/herald /usr/local/bin/herald
COPY config /etc/herald
USER herald
EXPOSE 9093
VOLUME /var/lib/herald
ENTRYPOINT ["herald"]
# Alertmanager's flags, so an image swap keeps an existing deployment's command line working.
CMD ["--config.file=/etc/herald/alertmanager.yml", "--web.listen-address=:9093", "--storage.path=/var/lib/herald"]
