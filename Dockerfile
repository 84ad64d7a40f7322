# One image for the operator, the router and the smoke-probe Jobs (`switchyard <command>`).
#
# The same layout as `e2e/cluster image` builds without Docker (e2e/image.py): Debian bookworm's
# python3, a venv at /opt/switchyard holding the project wheel and its dependencies, the
# non-root user 65532 (the uid the chart, router pods and smoke Jobs run as), entrypoint
# `switchyard`. Keep the two in step.
FROM debian:bookworm-slim AS base
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 65532 switchyard \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin switchyard

FROM base AS build
COPY pyproject.toml README.md /src/
COPY switchyard /src/switchyard
# Debian's python3 is 3.11.2: redis needs async-timeout below 3.11.3.
RUN python3 -m venv /opt/build \
 && /opt/build/bin/pip wheel --no-cache-dir --wheel-dir /wheels /src async-timeout

FROM base
COPY --from=build /wheels /tmp/wheels
RUN python3 -m venv /opt/switchyard \
 && /opt/switchyard/bin/pip install --no-cache-dir --no-index --find-links /tmp/wheels \
      switchyard async-timeout \
 && rm -rf /tmp/wheels
ENV PATH=/opt/switchyard/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONUNBUFFERED=1
USER 65532:65532
ENTRYPOINT ["switchyard"]
CMD ["--help"]
