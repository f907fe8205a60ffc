# Production image: gunicorn (web), Celery worker and Celery beat all run from it (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# WeasyPrint renders the PDF reports with Pango and HarfBuzz (subsetting fonts); DejaVu as fallback font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 app
WORKDIR /app

# Runtime dependencies only, pinned by requirements/runtime.txt (same versions as requirements/lock.txt).
COPY requirements/runtime.txt requirements/runtime.txt
RUN pip install -r requirements/runtime.txt

COPY --chown=app:app . .
RUN pip install --no-deps -e .

# Static files are collected at build time. Production settings insist on PostgreSQL, Redis and a
# secret key at import; collectstatic connects to neither, so placeholders are enough here.
RUN DJANGO_SETTINGS_MODULE=config.settings.production \
    DJANGO_SECRET_KEY=build-only-not-secret \
    DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput

# Private media (report files, uploads) live in the named volume mounted here, shared by web and worker.
RUN install -d -o app -g app /app/var/media
USER app

ENV DJANGO_SETTINGS_MODULE=config.settings.production \
    MEDIA_ROOT=/app/var/media
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
