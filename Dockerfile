# httpstatus-exporter: a static binary, run as nonroot (65532), on a minimal
# image. One Dockerfile, two ways to build the same final layout:
#
# 1. Where base images can be pulled (the default target, `make docker`): the
#    binary is built in golang:1.27-bookworm and copied onto distroless
#    static. .git is not sent to the build, so the version comes in as args:
#      docker build --build-arg VERSION=$(git describe --tags --always --dirty) \
#        --build-arg REVISION=$(git rev-parse HEAD) -t httpstatus-exporter .
#
# 2. Where no base image can be pulled (this project's machines and CI): the
#    target `local` is FROM scratch and takes everything from a context that
#    scripts/docker.sh stages: bin/exporter from `make build` (CGO_ENABLED=0,
#    so static), passwd and group with the nonroot user, and the host's CA
#    bundle. Its layout: exporter, passwd, group, ca-certificates.crt, state/.
#      docker build --target=local -f Dockerfile -t httpstatus-exporter STAGED_DIR
#
# scripts/docker.sh builds `local` with BuildKit, which runs only the stages
# the target needs. `local` still comes first so that the classic builder
# (DOCKER_BUILDKIT=0), which runs every stage up to its target, builds it too
# without pulling golang. There is no `# syntax=` line: BuildKit would pull
# that frontend image before anything else, and its built-in frontend already
# knows `RUN --mount`. The default target needs BuildKit (Docker 23 and later
# use it by default): the classic builder would run `local` first, and it
# refuses `RUN --mount`.
#
# Reading the logs: nginx and Apache on Debian write them root:adm (or
# www-data:adm) 0640, so the exporter, uid 65532, reads them only with the
# supplemental group adm, gid 4: `docker run --group-add 4 ...`, or in
# Kubernetes `securityContext.supplementalGroups: [4]`. Mount the log folder
# read-only and /var/lib/httpstatus-exporter (positions.json) writable; the
# root filesystem can be read-only (`docker run --read-only`).

ARG VERSION=0.1.0-dev
ARG REVISION=unknown

FROM scratch AS local
ARG VERSION
ARG REVISION
LABEL org.opencontainers.image.title="httpstatus-exporter" \
	org.opencontainers.image.description="Prometheus exporter that follows HTTP access logs and counts responses by status code and documented category" \
	org.opencontainers.image.source="https://github.com/httpstatus-exporter/httpstatus-exporter" \
	org.opencontainers.image.licenses="Apache-2.0" \
	org.opencontainers.image.version="${VERSION}" \
	org.opencontainers.image.revision="${REVISION}"
# nonroot:x:65532:65532, as in distroless, so names resolve in `ps` and logs.
COPY passwd group /etc/
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY exporter /bin/exporter
# The checkpoint folder, owned by nonroot so positions.json can be written
# even without a mounted volume (then positions last as long as the container).
COPY --chown=65532:65532 state/ /var/lib/httpstatus-exporter/
USER 65532:65532
EXPOSE 10066
ENTRYPOINT ["/bin/exporter"]
# run's defaults already keep positions in
# /var/lib/httpstatus-exporter/positions.json. The logs to follow come from
# HTTPSTATUS_LOG_PATH, --log.path or --config.file; a flag here would override
# the HTTPSTATUS_* environment variables a DaemonSet sets.
CMD ["run"]

# The binary is built by go.mod's toolchain line, go1.27.3 (go1.26.8 has
# standard-library vulnerabilities govulncheck finds, see scripts/vulncheck.sh).
# Official golang images set GOTOOLCHAIN=local, so it is named here: an image
# with an older 1.27 patch fetches go1.27.3 from the module proxy.
FROM golang:1.27-bookworm AS build
ENV GOTOOLCHAIN=go1.27.3
WORKDIR /src

# Modules first, in their own layer: rebuilt only when go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .

# Declared after the module layer so new values do not invalidate it.
ARG VERSION
ARG REVISION
ARG BRANCH=unknown
ARG BUILD_USER=docker
ARG BUILD_DATE=unknown

RUN --mount=type=cache,target=/root/.cache/go-build \
	CGO_ENABLED=0 go build -trimpath \
	-ldflags "-s -w \
	-X github.com/prometheus/common/version.Version=${VERSION} \
	-X github.com/prometheus/common/version.Revision=${REVISION} \
	-X github.com/prometheus/common/version.Branch=${BRANCH} \
	-X github.com/prometheus/common/version.BuildUser=${BUILD_USER} \
	-X github.com/prometheus/common/version.BuildDate=${BUILD_DATE}" \
	-o /out/bin/exporter ./cmd/exporter \
	&& /out/bin/exporter --version \
	&& mkdir -p /out/var/lib/httpstatus-exporter

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION
ARG REVISION
LABEL org.opencontainers.image.title="httpstatus-exporter" \
	org.opencontainers.image.description="Prometheus exporter that follows HTTP access logs and counts responses by status code and documented category" \
	org.opencontainers.image.source="https://github.com/httpstatus-exporter/httpstatus-exporter" \
	org.opencontainers.image.licenses="Apache-2.0" \
	org.opencontainers.image.version="${VERSION}" \
	org.opencontainers.image.revision="${REVISION}"
COPY --from=build /out/bin/exporter /bin/exporter
COPY --from=build --chown=65532:65532 /out/var/lib/httpstatus-exporter /var/lib/httpstatus-exporter
USER 65532:65532
EXPOSE 10066
ENTRYPOINT ["/bin/exporter"]
CMD ["run"]
