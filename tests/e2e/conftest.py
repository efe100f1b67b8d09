"""Real-browser tests: the ASGI app served by daphne in a child process, driven by Chromium.

Run them on their own with `pytest -m browser`, or leave them out with `-m "not browser"`.

- `live_url` serves halenbrengen.asgi (HTTP, websockets, /static/) with daphne in a separate
  process, like channels' ChannelsLiveServerTestCase. That process reads the same test database,
  so a test must commit its data: `new_context` pulls in `transactional_db` for you. Settings
  changed in the test process (the `settings` fixture) do not reach the server.
- `browser` is one headless Chromium for the session (Debian's /usr/bin/chromium; set
  HB_CHROMIUM to use another binary). Without it the tests are skipped, except when CI=true:
  then a missing browser is an error.
- `new_context(**kwargs)` opens a fresh browser context (its own cookies: one person) on
  `live_url`, in English unless a `locale` is given, and closes it after the test.
- `django_sync()`: Playwright's sync API leaves its event loop marked as running in this
  thread, which Django refuses to run the ORM (and async_to_sync) under. Prepare data before
  the first `new_context()` call, in fixtures or at the top of the test; Django code after it
  goes in `with django_sync(): ...`.

Use Playwright's sync API in plain `def` tests (not `async def`) and wait with `expect()`,
never with sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import time
from functools import partial
from pathlib import Path

import pytest
from daphne.testing import DaphneProcess

try:
    from playwright.sync_api import sync_playwright
except ImportError as error:  # pragma: no cover - depends on the environment
    sync_playwright = None
    PLAYWRIGHT_IMPORT_ERROR: ImportError | None = error
else:
    PLAYWRIGHT_IMPORT_ERROR = None

E2E_DIR = Path(__file__).resolve().parent
HOST = "127.0.0.1"
SERVER_START_TIMEOUT = 30  # seconds
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# tests/conftest.py hashes passwords with MD5 for speed; the server must be able to check them.
SERVER_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def chromium_path() -> str:
    return os.environ.get("HB_CHROMIUM", "/usr/bin/chromium")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def browser_problem() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if PLAYWRIGHT_IMPORT_ERROR is not None:
        return f"Playwright is not importable ({PLAYWRIGHT_IMPORT_ERROR})"
    path = chromium_path()
    if not os.access(path, os.X_OK):
        return f"no Chromium executable at {path} (set HB_CHROMIUM to point at one)"
    return None


def pytest_collection_modifyitems(config, items):
    problem = browser_problem()
    for item in items:
        if E2E_DIR not in Path(item.path).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if problem and not in_ci():
            # Skip before any fixture starts the server. In CI the `browser` fixture fails.
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {problem}"))


# The live server --------------------------------------------------------------------------


class SpawnedDaphneProcess(DaphneProcess):
    """daphne's test server process, started with the "spawn" method instead of "fork".

    A forked child would inherit this process's open database connections (and psycopg's
    pool, whose sockets it would then share with us) and, once Playwright runs, an event loop
    marked as running. A spawned child starts clean and sets Django up on its own; it needs
    picklable arguments, and its synchronisation objects from the same "spawn" context.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        context = multiprocessing.get_context("spawn")
        self.port = context.Value("i", self.port.value)
        self.ready = context.Event()
        self.errors = context.Queue()

    @staticmethod
    def _Popen(process_obj):
        return multiprocessing.get_context("spawn").Process._Popen(process_obj)


def serve_application(*, host: str, debug: bool, databases: dict[str, str]):
    """The first thing the server process runs (DaphneProcess calls get_application before its
    setup hook, and before anything opens a connection): point Django at the test databases,
    mirror the test settings that matter, then build the ASGI app with /static/ served."""
    from django.conf import settings

    for alias, name in databases.items():
        settings.DATABASES[alias]["NAME"] = name
    settings.DEBUG = debug
    if host not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, host]
    settings.PASSWORD_HASHERS = [*SERVER_PASSWORD_HASHERS, *settings.PASSWORD_HASHERS]
    # Every browser here joins from 127.0.0.1, many times a minute: that is not an attack.
    # (The limit itself is tested in tests/views/test_joining.py.)
    settings.HB_JOIN_RATE = (100_000, 60)
    # As in the test process (tests/conftest.py): the pictures and the control room's lines in
    # the change's own push, so that nothing of a test is still drawn after it ends.
    settings.HB_PICTURE_DELAY = 0
    settings.HB_ACTIVITY_DELAY = 0
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    from channels.testing.live import make_application
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    return make_application(static_wrapper=ASGIStaticFilesHandler)


def _wait_until_ready(process: DaphneProcess) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while not process.ready.wait(timeout=0.2):
        if not process.errors.empty():
            pytest.fail(f"daphne did not start:\n{process.errors.get_nowait()[1]}")
        if not process.is_alive():
            pytest.fail(
                f"daphne exited with code {process.exitcode} before serving (see its output)"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"daphne did not start within {SERVER_START_TIMEOUT}s")


@pytest.fixture(scope="session")
def live_url(django_db_setup, django_db_blocker):
    """Base URL (http://127.0.0.1:<port>) of the app served by daphne in a separate process."""
    from django.conf import settings
    from django.db import connections

    with django_db_blocker.unblock():
        databases = {}
        for connection in connections.all():
            if connection.vendor == "sqlite" and connection.is_in_memory_db():
                pytest.fail(
                    "The live server needs a test database on disk or in a server; "
                    f"{connection.alias!r} is an in-memory SQLite database."
                )
            # The names pytest-django gave the test databases (with any xdist suffix).
            databases[connection.alias] = connection.settings_dict["NAME"]

    process = SpawnedDaphneProcess(
        HOST,
        partial(serve_application, host=HOST, debug=settings.DEBUG, databases=databases),
    )
    process.start()
    try:
        _wait_until_ready(process)
        yield f"http://{HOST}:{process.port.value}"
    finally:
        process.terminate()
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join()


# The browser ------------------------------------------------------------------------------


class _PlaywrightLoop:
    """Playwright's sync API runs its event loop in this thread, in a greenlet, and marks that
    loop as running in the thread whenever a sync call returns: the loop needs the mark when a
    later call switches back into it.

    With the mark set, Django refuses ORM calls (SynchronousOnlyOperation), async_to_sync
    refuses to run (our broadcasts), and a later asyncio test cannot start its own loop. So
    the mark is set only from the first `new_context()` of a test until its teardown, and
    `django_sync()` lifts it for Django code in between.
    """

    loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def mark_running(cls) -> None:
        if cls.loop is not None and not cls.loop.is_closed():
            asyncio._set_running_loop(cls.loop)

    @classmethod
    def clear(cls) -> None:
        if cls.loop is not None and asyncio._get_running_loop() is cls.loop:
            asyncio._set_running_loop(None)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session. Tests open contexts with `new_context`."""
    problem = browser_problem()
    if problem:
        if in_ci():
            pytest.fail(f"CI=true and the browser tests cannot run: {problem}", pytrace=False)
        pytest.skip(f"browser tests skipped: {problem}")

    playwright = sync_playwright().start()
    _PlaywrightLoop.loop = asyncio._get_running_loop()
    try:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        _PlaywrightLoop.clear()
        try:
            yield chromium
        finally:
            _PlaywrightLoop.mark_running()
            chromium.close()
    finally:
        _PlaywrightLoop.mark_running()
        playwright.stop()
        _PlaywrightLoop.clear()
        _PlaywrightLoop.loop = None


@pytest.fixture(autouse=True)
def _no_playwright_loop_after_test():
    """Whatever a browser test did, the tests after it start without Playwright's loop mark."""
    yield
    _PlaywrightLoop.clear()


@pytest.fixture
def new_context(browser, live_url, transactional_db):
    """Factory for browser contexts on live_url (English unless a locale is given), each closed
    after the test. One context is one person: its own cookies and session.

    From the first call on, Django code in the test needs `with django_sync(): ...`.
    """
    contexts = []

    def make(**kwargs):
        kwargs.setdefault("base_url", live_url)
        kwargs.setdefault("locale", "en-US")
        _PlaywrightLoop.mark_running()
        context = browser.new_context(**kwargs)
        contexts.append(context)
        return context

    yield make
    # Close the contexts (and their websockets) before transactional_db flushes the database.
    _PlaywrightLoop.mark_running()
    try:
        for context in contexts:
            context.close()
    finally:
        _PlaywrightLoop.clear()
    _wait_until_the_server_let_go()


def _wait_until_the_server_let_go(limit: float = 10.0) -> None:
    """Wait until the server has handled the closing of every websocket (each removes its
    presence last): a statement of a closing socket still running while the database is
    flushed can deadlock with the flush's TRUNCATE (PostgreSQL)."""
    from sessions.models import Presence

    deadline = time.monotonic() + limit
    sockets = Presence.objects.exclude(channel_name__startswith="http.")  # not the polling
    while sockets.exists():
        if time.monotonic() > deadline:
            return  # the flush will say what still holds the database
        time.sleep(0.05)


@pytest.fixture(scope="session", autouse=True)
def _flush_again_after_a_deadlock():
    """The flush after a browser test (TRUNCATE of every table) can still meet a statement the
    server runs for a socket the browser just closed: not every socket leaves a presence to
    wait for (a plenary view or a control room does not), and PostgreSQL then ends one of the
    two as a deadlock. When it ends the flush, the server's statement has finished by the time
    the flush is tried again."""
    from django.core.management.base import CommandError
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def teardown(self):
        for attempt in range(3):
            try:
                return original(self)
            except CommandError as error:
                if attempt == 2 or "deadlock" not in str(error.__cause__):
                    raise
                time.sleep(0.5)

    TransactionTestCase._fixture_teardown = teardown
    yield
    TransactionTestCase._fixture_teardown = original


@pytest.fixture
def django_sync():
    """Context manager for Django code (ORM, services, commands) between browser steps:

    with django_sync():
        assert Bijdrage.objects.filter(tekst="...").exists()
    """

    @contextlib.contextmanager
    def outside_playwright_loop():
        running = asyncio._get_running_loop()
        if running is not None and running is not _PlaywrightLoop.loop:
            raise RuntimeError("django_sync() is for sync browser tests, not inside asyncio.")
        _PlaywrightLoop.clear()
        try:
            yield
        finally:
            if running is not None:
                _PlaywrightLoop.mark_running()

    return outside_playwright_loop


# The live kaart's people ------------------------------------------------------------------


@pytest.fixture
def join_link(transactional_db, live_url) -> str:
    """The demo opgave, its open sessie (one tafel, in step 2) and its join link."""
    from tests.e2e.test_platform import seed_demo

    _username, _password, link = seed_demo(live_url)
    return link


@pytest.fixture
def two_at_one_tafel(join_link, new_context):
    """Anna (Politie) and Bram (Gemeente) at the demo tafel, both connected live."""
    from tests.e2e.test_kaart import expect_connected, join, mark_document

    context_a, context_b = new_context(), new_context()
    page_a = join(context_a, join_link, "Anna de Vries", "Politie")
    page_b = join(context_b, join_link, "Bram Jansen", "Gemeente")
    assert page_a.url == page_b.url  # the same tafel
    expect_connected(page_a)
    expect_connected(page_b)
    mark_document(page_a)
    mark_document(page_b)
    return context_a, page_a, context_b, page_b
