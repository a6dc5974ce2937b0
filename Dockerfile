# The lab's app image: slim Python, dependencies from pyproject.toml, a non-root user, gunicorn.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, in their own layer: they change less often than the code.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY app.py gunicorn.conf.py ./
COPY lab ./lab
COPY components ./components
COPY pages ./pages
COPY assets ./assets
COPY translations ./translations

RUN useradd --create-home --uid 10001 lab \
    && mkdir -p /app/.lab-data \
    && chown lab:lab /app/.lab-data
USER lab

ENV HOST=0.0.0.0 \
    PORT=8050 \
    WORKERS=4 \
    DATA_DIR=/app/.lab-data
EXPOSE 8050

HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8050/api/health', timeout=2)"

# gunicorn reads gunicorn.conf.py from /app: WORKERS, the hooks, the timeouts.
CMD ["gunicorn", "app:server", "--bind", "0.0.0.0:8050"]
