# Dockerfile - regit serve in a container.
#
#   docker build --build-arg REGIT_GIT_COMMIT=$(git describe --always --dirty) -t regit .
#   regit passwd users admin admin          # a credentials file (see `man regit-passwd`)
#   docker run -d -p 8081:8081 -v regit-data:/var/lib/regit \
#       -v "$PWD/users:/etc/regit/users:ro" regit
#
# Two stages on Debian 12: the first builds (and installs into /out with
# `make install`), the second holds only the runtime libraries, the
# installed files and a non-root user. The store is the volume
# /var/lib/regit. The server listens on 0.0.0.0:8081 inside the container,
# which regit refuses without --auth: mount a `regit passwd` file at
# /etc/regit/users. The health check is GET /health; with --auth it needs
# a read user: put USER:PASS in a file and set REGIT_HEALTH_USER_FILE.
# tests/integration/dockerfile.sh checks this file's syntax and paths.

FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      gcc make pkg-config libc6-dev ca-certificates git \
      libmicrohttpd-dev libgnutls28-dev libgit2-dev libjansson-dev libssl-dev \
      libcurl4-openssl-dev libyaml-dev libcmocka-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . /src
ARG REGIT_GIT_COMMIT=
RUN make -j"$(nproc)" all \
 && make install PREFIX=/usr/local DESTDIR=/out

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libmicrohttpd12 libgit2-1.5 libjansson4 libssl3 libcurl4 \
      libyaml-0-2 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 regit \
 && useradd --system --uid 10001 --gid regit --home-dir /var/lib/regit \
      --shell /usr/sbin/nologin regit \
 && mkdir -p /var/lib/regit /etc/regit \
 && chown regit:regit /var/lib/regit \
 && chmod 700 /var/lib/regit
COPY --from=build /out/usr/local/bin/regit /usr/local/bin/regit
COPY --from=build /out/usr/local/share/man/man1/ /usr/local/share/man/man1/
COPY contrib/docker-healthcheck /usr/local/bin/regit-healthcheck
USER regit:regit
WORKDIR /var/lib/regit
VOLUME ["/var/lib/regit"]
EXPOSE 8081
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["/usr/local/bin/regit-healthcheck"]
ENTRYPOINT ["/usr/local/bin/regit"]
CMD ["serve", "--listen", "0.0.0.0:8081", "--store", "/var/lib/regit/registry.git", \
     "--auth", "/etc/regit/users"]
