# syntax=docker/dockerfile:1
# Halen/Brengen production image: daphne serving halenbrengen.asgi, static files through
# whitenoise. Configuration comes from the environment at run time (see .env.example).

# ---- build: install the project into a venv, compile messages, collect static files ----
FROM python:3.11-slim AS build

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

# gettext (msgfmt) is only needed for compilemessages; it stays in this stage.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && python -m venv /opt/venv

WORKDIR /app

# The project and its dependencies. README.m[d]: the glob lets the build go on without a
# README (pyproject names it; setuptools only warns when it is missing).
COPY pyproject.toml README.m[d] ./
COPY halenbrengen ./halenbrengen
COPY sessions ./sessions
RUN pip install .

# The rest of what the site needs at run time. local[e]: locale/ may not exist in a fresh
# checkout (git keeps no empty directories); the glob makes it optional under BuildKit.
COPY manage.py ./
COPY templates ./templates
COPY static ./static
COPY local[e] ./locale/

# Settings refuse DEBUG off without a secret key: give this step a throwaway one. Nothing here
# touches the database (no DATABASE_URL: the SQLite default is never opened). compilemessages
# refuses to run when no locale directory exists at all, hence the mkdir.
RUN mkdir -p locale \
    && DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-time-only-not-a-secret \
        python manage.py compilemessages \
    && DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-time-only-not-a-secret \
        python manage.py collectstatic --no-input \
    && python -m compileall -q halenbrengen sessions

# ---- run: the venv and the app, no build tools, not root ----
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=halenbrengen.settings \
    DJANGO_DEBUG=0

# Pango and a font for WeasyPrint (the PDF export).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --user-group --uid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin halenbrengen

COPY --from=build /opt/venv /opt/venv
# Owned by root and read-only for the app user: the app writes nothing to its own tree.
COPY --from=build /app /app

WORKDIR /app
USER 10001:10001
EXPOSE 8000

# The app runs from /app (python -m and manage.py put the working directory first on sys.path),
# so the source tree, with its migrations and management commands, is what gets imported.
# halenbrengen.serve is daphne, closing an oversized frame with 1009 (see that module).
CMD ["python", "-m", "halenbrengen.serve", "-b", "0.0.0.0", "-p", "8000", "--proxy-headers", \
     "--websocket-max-message-size", "131072", "--websocket-max-frame-size", "131072", \
     "halenbrengen.asgi:application"]
