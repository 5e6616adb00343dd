# Descent Lab: docker build -t descent-lab:latest . && docker run -p 8000:8000 descent-lab:latest
# The Python the lock is made for (Makefile: LOCK_FOR).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv/descent-lab

# The dependencies, pinned and hash-checked from the lock (`make lock` writes it from
# pyproject.toml): this layer is rebuilt only when the lock changes, never for the code.
COPY requirements.txt ./
RUN pip install --require-hashes -r requirements.txt \
 && rm requirements.txt \
 && useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin lab

# The app. It is not pip-installed: `python -m uvicorn` imports it from the working directory,
# as `make run` does, and finds static/ and templates/ beside it. Owned by root: read-only
# to the user it runs as.
COPY app ./app
COPY static ./static
COPY templates ./templates

# Read by uvicorn itself (see `uvicorn --help`):
# - FORWARDED_ALLOW_IPS: the proxies whose X-Forwarded-For/-Proto are trusted
#   (--forwarded-allow-ips); set it to the reverse proxy's address, or "*" when only the
#   proxy can reach the container.
# - WEB_CONCURRENCY: worker processes (--workers), each with its own
#   DESCENT_LAB_MAX_STREAMS. On Kubernetes keep 1 and scale with replicas.
ENV FORWARDED_ALLOW_IPS=127.0.0.1 WEB_CONCURRENCY=1

# Numeric, so Kubernetes' runAsNonRoot can check it.
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# On SIGTERM uvicorn stops accepting and gives open requests 5 s; every live stream ends at
# once with a `closing` event, and the page carries on from its last state a moment later.
CMD ["python", "-m", "uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000", \
     "--proxy-headers", "--timeout-graceful-shutdown", "5"]
