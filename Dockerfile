# Container image of the Custody Ledger node, custodyd (docs/operations.md,
# "Running a node in a container"). Nothing in the build or the tests needs
# Docker; this is for institutions that run their nodes as containers.
#
#   docker build -t custodyd:$(git describe --always) .
#   docker run -d --name custodyd -v /srv/custodyd:/home/custodyd \
#     -p 26656:26656 -p 127.0.0.1:26657:26657 -p 127.0.0.1:1317:1317 custodyd:TAG
#
# The home (/home/custodyd, a volume) is made once with
#   docker run --rm -v /srv/custodyd:/home/custodyd custodyd:TAG init ...
# and keeps the keys and the state across containers.

# --- build: a static custodyd from the module, version from git -------------
FROM golang:1.25-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/custody-ledger/custody/node.Version=${VERSION}" \
      -o /out/custodyd ./cmd/custodyd

# --- run: debian-slim, a dedicated user, the binary and nothing else ---------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system custodyd \
 && useradd --system --gid custodyd --home-dir /home/custodyd --create-home --shell /usr/sbin/nologin custodyd
COPY --from=build /out/custodyd /usr/local/bin/custodyd
USER custodyd
WORKDIR /home/custodyd
VOLUME ["/home/custodyd"]
# 26656 P2P (open to the other institutions), 26657 CometBFT RPC and 1317
# the REST API (keep them private or behind the institution's proxy),
# 26660 Prometheus.
EXPOSE 26656 26657 1317 26660
# docker stop sends SIGTERM; custodyd stops cleanly well within docker's
# default 10 s, but give `docker stop -t 30` like the systemd unit.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/custodyd"]
CMD ["start", "--home", "/home/custodyd"]
