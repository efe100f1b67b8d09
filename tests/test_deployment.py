"""The production shape (docker-compose.yml, Dockerfile, Caddyfile, .env.example) against settings.

Docker is not needed: the compose file is checked by reading it, the settings by importing them in
a subprocess with a production environment.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "halenbrengen" / "settings.py"
SEED_DEMO = ROOT / "sessions" / "management" / "commands" / "seed_demo.py"

REQUIRED_IN_PRODUCTION = {
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
}

_ENV_READ = re.compile(
    r"""(?:os\.environ\.get|os\.getenv|env_bool|env_list)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|os\.environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]"""
    r"""|\benv\s*=\s*["']([A-Z][A-Z0-9_]*)["']"""
)


def env_names_read_by(path: Path) -> set[str]:
    return {next(filter(None, m.groups())) for m in _ENV_READ.finditer(path.read_text())}


SETTINGS_ENV = env_names_read_by(SETTINGS)


def test_settings_scan_finds_the_production_variables():
    # If this fails, settings.py changed how it reads the environment: update _ENV_READ.
    assert REQUIRED_IN_PRODUCTION <= SETTINGS_ENV
    assert "DJANGO_CSRF_TRUSTED_ORIGINS" in SETTINGS_ENV


# --- docker-compose.yml ---


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def command_of(service: dict) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else list(command)


def app_services(services) -> dict:
    """The containers of our own image (built from the Dockerfile)."""
    return {name: s for name, s in services.items() if "build" in s}


# Every server runs daphne through halenbrengen.serve (close 1009 for an oversized frame),
# with daphne's own frame and message limit: what tests/faults/helpers.py starts, too.
SERVER = ["-m", "halenbrengen.serve"]
FRAME_LIMITS = [
    ("--websocket-max-message-size", "131072"),
    ("--websocket-max-frame-size", "131072"),
]


def web_services(services) -> dict:
    return {name: s for name, s in services.items() if runs_the_server(command_of(s))}


def runs_the_server(command: list[str]) -> bool:
    return any(command[i : i + 2] == SERVER for i in range(len(command)))


def assert_production_server(command: list[str], where: str) -> None:
    assert runs_the_server(command), f"{where} does not run python -m halenbrengen.serve"
    for option, value in FRAME_LIMITS:
        assert option in command, f"{where} lacks {option}"
        assert command[command.index(option) + 1] == value, f"{where}: {option}"
    assert command[-1] == "halenbrengen.asgi:application", where


def depends_on(service: dict) -> dict:
    deps = service.get("depends_on") or {}
    return {name: {} for name in deps} if isinstance(deps, list) else deps


def test_compose_has_the_production_services(services):
    assert {"db", "redis", "migrate", "proxy"} <= set(services)
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "pg_isready" in str(services["db"]["healthcheck"]["test"])
    assert "healthcheck" in services["redis"]


def test_compose_runs_at_least_two_daphne_processes(services):
    webs = web_services(services)
    assert len(webs) >= 2, f"only {sorted(webs)} run daphne"
    for name, service in webs.items():
        command = command_of(service)
        assert "--proxy-headers" in command, name
        assert_production_server(command, name)
        assert name in app_services(services), f"{name} must run our image"


def test_compose_app_env_only_uses_names_settings_reads(services):
    apps = app_services(services)
    assert apps
    for name, service in apps.items():
        env = service.get("environment") or {}
        assert isinstance(env, dict), f"{name}: use the mapping form for environment"
        unknown = set(env) - SETTINGS_ENV
        assert not unknown, f"{name} sets {sorted(unknown)}, which settings.py never reads"


def test_compose_app_env_is_production(services):
    for name, service in app_services(services).items():
        env = {k: str(v) for k, v in (service.get("environment") or {}).items()}
        missing = REQUIRED_IN_PRODUCTION - set(env)
        assert not missing, f"{name} lacks {sorted(missing)}"
        assert env["DJANGO_DEBUG"].strip().lower() in {"0", "false", "no", "off"}, name
        # The secret comes from the environment and compose refuses to start without it.
        assert re.fullmatch(r"\$\{DJANGO_SECRET_KEY:\?[^}]*\}", env["DJANGO_SECRET_KEY"]), name
        hosts = [h.strip() for h in env["DJANGO_ALLOWED_HOSTS"].split(",") if h.strip()]
        assert hosts, name
        assert "*" not in hosts, name
        assert urlsplit(env["DATABASE_URL"]).scheme in {"postgres", "postgresql"}, name
        assert urlsplit(env["DATABASE_URL"]).hostname in services, name
        assert urlsplit(env["REDIS_URL"]).scheme in {"redis", "rediss"}, name
        assert urlsplit(env["REDIS_URL"]).hostname in services, name


def test_migrate_is_a_one_off_the_web_processes_wait_for(services):
    migrate = services["migrate"]
    assert "build" in migrate
    assert command_of(migrate)[-3:] == ["manage.py", "migrate", "--no-input"]
    assert str(migrate.get("restart")) == "no"
    assert depends_on(migrate)["db"]["condition"] == "service_healthy"
    for name, service in web_services(services).items():
        deps = depends_on(service)
        assert deps["migrate"]["condition"] == "service_completed_successfully", name
        assert deps["redis"]["condition"] == "service_healthy", name


def test_proxy_balances_over_every_web_process(services):
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:")
    ports = [str(p) for p in proxy["ports"]]
    assert any(p.startswith("443:443") for p in ports)
    assert any(p.startswith("80:80") for p in ports)
    assert any("deploy/Caddyfile" in str(v) for v in proxy["volumes"])

    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "tls internal" in caddyfile
    assert "lb_policy round_robin" in caddyfile
    assert re.search(r"health_uri\s+/healthz\b", caddyfile)
    upstreams = re.search(r"reverse_proxy\s+([^{\n]+)", caddyfile).group(1).split()
    assert set(upstreams) == {f"{name}:8000" for name in web_services(services)}


def test_compose_env_hosts_match_the_caddy_site(services):
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    for name, service in app_services(services).items():
        env = service["environment"]
        for host in env["DJANGO_ALLOWED_HOSTS"].split(","):
            assert re.search(rf"^{re.escape(host.strip())}\s*{{", caddyfile, re.M), name
            # Caddy's health checks must present a host Django accepts.
            assert re.search(rf"Host\s+{re.escape(host.strip())}\b", caddyfile), name
        assert env["DJANGO_CSRF_TRUSTED_ORIGINS"].startswith("https://"), name


# --- Dockerfile and .env.example ---


def test_dockerfile_builds_a_non_root_daphne_image():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    assert "pip install ." in dockerfile
    assert "collectstatic --no-input" in dockerfile
    for directory in ("templates", "static", "halenbrengen", "sessions"):
        assert re.search(rf"^COPY .*\b{directory}\b", dockerfile, re.M), directory
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    cmd = re.findall(r"^CMD\s+(\[[^]]+\])", dockerfile, re.M)[-1]
    command = json.loads(cmd.replace("\\\n", ""))
    assert "--proxy-headers" in command
    assert_production_server(command, "the Dockerfile's CMD")


def test_make_run_and_the_fault_tests_serve_like_production():
    from tests.faults.helpers import SERVER_COMMAND

    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    run = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    serve = next(line for line in run.splitlines() if "halenbrengen.serve" in line)
    assert_production_server(serve.split(), "make run")
    assert_production_server([*SERVER_COMMAND, "halenbrengen.asgi:application"], "the fault tests")


def test_dockerignore_keeps_local_state_out():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for entry in (".venv", ".git", ".env", "db.sqlite3", "staticfiles", ".pytest_cache"):
        assert entry in ignored, entry
    assert {"__pycache__", "**/__pycache__"} & ignored


def test_env_example_lists_every_variable_the_app_reads():
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))
    needed = SETTINGS_ENV | env_names_read_by(SEED_DEMO)
    assert {"HB_BASE_URL", "HB_DEMO_PASSWORD", "PORT"} <= needed
    assert not needed - listed, f".env.example lacks {sorted(needed - listed)}"
    assert not listed - needed, f".env.example lists unused {sorted(listed - needed)}"


def test_env_example_holds_no_secret_key():
    text = (ROOT / ".env.example").read_text()
    assert re.search(r"^DJANGO_SECRET_KEY=$", text, re.M)


# --- settings under a production environment (subprocesses) ---


def run_python(args: list[str], **env: str) -> subprocess.CompletedProcess:
    """Run the venv's python at the repo root with only the given settings variables."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    clean["DJANGO_SETTINGS_MODULE"] = "halenbrengen.settings"
    clean.pop("PYTHONWARNINGS", None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def production_env(**overrides: str) -> dict[str, str]:
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters
        "DJANGO_ALLOWED_HOSTS": "example.org",
        **overrides,
    }


def test_check_deploy_is_clean():
    env = production_env()
    assert len(env["DJANGO_SECRET_KEY"]) == 64
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output.upper(), output
    assert "System check identified no issues" in result.stdout, output


def test_settings_import_with_only_the_required_production_variables():
    # What the Dockerfile relies on for collectstatic at build time.
    result = run_python(
        ["-c", "from django.conf import settings; print(settings.DEBUG)"],
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="build-time-only-not-a-secret",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_settings_refuse_debug_off_without_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = run_python(["-c", "import halenbrengen.settings"], **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_settings_refuse_an_empty_secret_key():
    env = production_env(DJANGO_SECRET_KEY="")
    result = run_python(["-c", "import halenbrengen.settings"], **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("hosts", ["*", "example.org,*"])
def test_settings_refuse_wildcard_allowed_hosts(hosts):
    env = production_env(DJANGO_ALLOWED_HOSTS=hosts)
    result = run_python(["-c", "import halenbrengen.settings"], **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr
