# The collector, built from this repository (docker-compose.yml builds it).
FROM rust:1.88-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p reshimu-collector

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/reshimu-collector /usr/local/bin/reshimu-collector
EXPOSE 4317 4318 8888
ENTRYPOINT ["reshimu-collector"]
CMD ["run", "--config", "/etc/reshimu/collector.yaml"]
