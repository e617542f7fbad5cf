"""A real Chromium through Playwright, on the real app served by uvicorn: a newcomer registers,
logs out and in again, edits the profile and finds it on the profile page, in both languages; a
member who forgot their password gets a new one through the link mailed to them."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import uvicorn

from tests.helpers import new_email, wait_until
from tests.smtp_server import LINK, text_of
from vinculo import migrations
from vinculo.app import create_app
from vinculo.db import Database
from vinculo.mail.sender import FolderTransport, send_waiting
from vinculo.settings import get_settings

pytestmark = pytest.mark.browser

CHROMIUM = next(
    (path for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(path).exists()),
    None,
)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The address of a server on a database of its own, and that database's URL."""
    if CHROMIUM is None:
        if os.environ.get("VINCULO_REQUIRE_BROWSER") == "1":
            pytest.fail("VINCULO_REQUIRE_BROWSER=1 but no chromium is installed")
        pytest.skip("no chromium here: `make test` installs Debian's chromium when it can")
    path = tmp_path_factory.mktemp("browser") / "vinculo.db"
    url = f"sqlite:///{path}"
    migrations.upgrade(url)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(get_settings(), database=Database(url)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, what="the server starts")
    try:
        yield f"http://127.0.0.1:{port}", url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        shutil.rmtree(path.parent, ignore_errors=True)


@pytest.fixture(scope="module")
def base_url(served: tuple[str, str]) -> str:
    return served[0]


TEXTS = {
    "en": {
        "join": "Join",
        "create": "Create my account",
        "welcome": "Welcome to Vínculo!",
        "save": "Save profile",
        "logout": "Log out",
        "login": "Log in",
        "add_position": "Add a position",
        "save_entry": "Save",
        "present": "Present",
    },
    "es": {
        "join": "Únete",
        "create": "Crear mi cuenta",
        "welcome": "¡Te damos la bienvenida a Vínculo!",
        "save": "Guardar perfil",
        "logout": "Cerrar sesión",
        "login": "Iniciar sesión",
        "add_position": "Añadir un puesto",
        "save_entry": "Guardar",
        "present": "actualidad",
    },
}


@pytest.mark.parametrize("language", ["es", "en"])
def test_register_log_in_edit_and_see_the_profile(base_url: str, language: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    words = TEXTS[language]
    email = new_email(f"browser-{language}")
    password = "a long enough phrase"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            context = browser.new_context(locale=language)
            page = context.new_page()
            problems: list[str] = []
            page.on(
                "console",
                lambda message: problems.append(message.text) if message.type == "error" else None,
            )

            page.goto(base_url + "/")
            page.get_by_role("link", name=words["join"], exact=True).first.click()
            page.fill("#field-name", "Marta Prueba")
            page.fill("#field-email", email)
            page.fill("#field-password", password)
            page.get_by_role("button", name=words["create"]).click()
            expect(page.get_by_text(words["welcome"])).to_be_visible()

            page.get_by_role("button", name=words["logout"]).click()
            page.goto(base_url + "/login")
            page.fill("#field-email", email)
            page.fill("#field-password", password)
            page.locator("form.form button[type=submit]").click()
            expect(page.get_by_role("button", name=words["logout"])).to_be_visible()

            page.goto(base_url + "/profile/edit")
            page.fill("#field-headline", f"Ingeniera de datos ({language})")
            page.fill("#field-location", "Zaragoza")
            page.fill("#field-about", "Me gustan los equipos pequeños.")
            page.get_by_role("button", name=words["save"]).click()
            expect(page.get_by_role("heading", name="Marta Prueba")).to_be_visible()
            expect(page.get_by_text(f"Ingeniera de datos ({language})")).to_be_visible()
            expect(page.get_by_text("Me gustan los equipos pequeños.")).to_be_visible()

            page.goto(base_url + "/profile/positions/new")
            page.fill("#field-organization", "Acme Ibérica")
            page.fill("#field-title", "Analista")
            page.fill("#field-start", "2019-03")
            page.get_by_role("button", name=words["save_entry"], exact=True).click()
            page.goto(base_url + "/profile")
            expect(page.get_by_text("Acme Ibérica")).to_be_visible()
            expect(page.get_by_text(words["present"])).to_be_visible()

            # At a phone's width nothing scrolls sideways.
            page.set_viewport_size({"width": 375, "height": 800})
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 376
            assert problems == []
        finally:
            browser.close()


def test_a_forgotten_password_is_replaced_through_the_mailed_link(
    served: tuple[str, str], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base_url, database_url = served
    email = new_email("browser-reset")
    new_password = "the lighthouse keeps its watch"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_context(locale="en").new_page()
            page.goto(base_url + "/register")
            page.fill("#field-name", "Olvido Pérez")
            page.fill("#field-email", email)
            page.fill("#field-password", "a long enough phrase")
            page.get_by_role("button", name="Create my account").click()
            page.get_by_role("button", name="Log out").click()

            page.goto(base_url + "/login")
            page.get_by_role("link", name="Forgot your password?").click()
            page.fill("#field-email", email)
            page.get_by_role("button", name="Send me a link").click()
            expect(page.get_by_text("is on its way")).to_be_visible()

            # The worker sends the outbox; in development each mail is an .eml file.
            database = Database(database_url)
            try:
                send_waiting(
                    database,
                    FolderTransport(tmp_path, show=False),
                    sender="v@x.example",
                    attempts=1,
                )
            finally:
                database.dispose()
            mails = [
                message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in tmp_path.glob("*.eml")
            ]
            [reset] = [m for m in mails if m["To"] == email and "password" in str(m["Subject"])]
            [link] = [url for url in LINK.findall(text_of(reset)) if "/reset-password?" in url]
            page.goto(base_url + link[link.index("/reset-password") :])
            page.fill("#field-new_password", new_password)
            page.get_by_role("button", name="Choose a new password").click()
            expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()

            page.goto(base_url + "/login")
            page.fill("#field-email", email)
            page.fill("#field-password", new_password)
            page.locator("form.form button[type=submit]").click()
            expect(page.get_by_role("button", name="Log out")).to_be_visible()
        finally:
            browser.close()


def test_a_photo_uploaded_from_the_profile_form_shows_under_the_csp(base_url: str) -> None:
    """The file field, the multipart post with its form token, and the photo an `<img>` fetches
    with the session cookie, allowed by the Content-Security-Policy."""
    import io

    from PIL import Image
    from playwright.sync_api import FilePayload, expect, sync_playwright

    upload = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 90, 160)).save(upload, format="JPEG")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_context(locale="en").new_page()
            problems: list[str] = []
            page.on(
                "console",
                lambda message: problems.append(message.text) if message.type == "error" else None,
            )
            page.goto(base_url + "/register")
            page.fill("#field-name", "Pilar Foto")
            page.fill("#field-email", new_email("browser-photo"))
            page.fill("#field-password", "a long enough phrase")
            page.get_by_role("button", name="Create my account").click()
            expect(page.get_by_text("Welcome to Vínculo!")).to_be_visible()

            page.goto(base_url + "/profile/edit")
            jpeg = FilePayload(name="me.jpg", mimeType="image/jpeg", buffer=upload.getvalue())
            page.set_input_files("#field-photo", files=[jpeg])
            page.get_by_role("button", name="Upload photo").click()
            expect(page.get_by_role("button", name="Remove photo")).to_be_visible()
            photo = page.locator("#photo img.avatar--photo")
            expect(photo).to_be_visible()
            page.wait_for_function(
                "document.querySelector('#photo img.avatar--photo').naturalWidth === 256"
            )
            page.goto(base_url + "/profile")
            page.wait_for_function(
                "[...document.querySelectorAll('img.avatar--photo')]"
                ".some((image) => image.naturalWidth === 256)"
            )
            assert problems == []
        finally:
            browser.close()


def test_an_introduction_asked_forwarded_and_seen_by_its_target(base_url: str) -> None:
    """Ana asks Beto, from Carla's profile, to introduce her; Beto forwards it with a note;
    Carla finds the invitation introduced by Beto, with both messages."""
    import httpx2
    from playwright.sync_api import Page, expect, sync_playwright

    password = "a long enough phrase"
    api = httpx2.Client(base_url=base_url + "/api/v1")
    people = {}
    for name in ("Ana Intro", "Beto Intro", "Carla Intro"):
        email = new_email("browser-intro")
        registered = api.post(
            "/auth/register", json={"email": email, "password": password, "name": name}
        )
        assert registered.status_code == 201, registered.text
        token = api.post("/auth/token", json={"email": email, "password": password})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        people[name.split()[0]] = (registered.json()["id"], email, headers)
    for a, b in (("Ana", "Beto"), ("Beto", "Carla")):
        sent = api.post("/invitations", json={"to": people[b][0]}, headers=people[a][2])
        accepted = api.post(f"/invitations/{sent.json()['id']}/accept", headers=people[b][2])
        assert accepted.status_code == 200, accepted.text

    def log_in(page: Page, who: str) -> None:
        page.goto(base_url + "/login")
        page.fill("#field-email", people[who][1])
        page.fill("#field-password", password)
        page.locator("form.form button[type=submit]").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            ana = browser.new_context(locale="en").new_page()
            log_in(ana, "Ana")
            ana.goto(f"{base_url}/members/{people['Carla'][0]}")
            ana.get_by_role("link", name="Ask for an introduction").click()
            expect(ana.get_by_label("Beto Intro")).to_be_checked()
            ana.fill("#field-message", "I would like to talk about the port of Valencia.")
            ana.get_by_role("button", name="Ask for the introduction").click()
            expect(ana.get_by_text("Request sent.")).to_be_visible()

            beto = browser.new_context(locale="en").new_page()
            log_in(beto, "Beto")
            beto.goto(base_url + "/introductions")
            expect(beto.get_by_text("Ana Intro would like to meet Carla Intro")).to_be_visible()
            beto.get_by_label("Your note to Carla Intro (optional)").fill("Ana is great.")
            beto.get_by_role("button", name="Forward the request of Ana Intro").click()
            expect(beto.get_by_text("Introduction forwarded")).to_be_visible()

            carla = browser.new_context(locale="en").new_page()
            log_in(carla, "Carla")
            carla.goto(base_url + "/network")
            expect(carla.get_by_text("Introduced by Beto Intro")).to_be_visible()
            expect(
                carla.get_by_text("I would like to talk about the port of Valencia.")
            ).to_be_visible()
            expect(carla.get_by_text("Ana is great.")).to_be_visible()
        finally:
            browser.close()
            api.close()
