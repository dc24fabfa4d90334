"""The machinery behind the browser checks, shared by the tests and ``tools/audit_page.py``.

* a live Civic server in a thread (werkzeug ``make_server`` on 127.0.0.1, a free port), with
  its own migrated database filled with the demo city and one audit account per role and
  language;
* Debian's Chromium driven by Playwright (never a downloaded browser);
* axe-core and the Nu Html Checker from ``node_modules`` (``npm ci``);
* small in-page checks: horizontal overflow, text alternatives, vague link texts, focus.

Nothing here depends on pytest.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import subprocess  # noqa: S404 - runs the Nu Html Checker, a fixed local tool
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = os.environ.get("CIVIC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_JS = os.path.join(ROOT, "node_modules", "axe-core", "axe.min.js")
VNU_JAR = os.path.join(ROOT, "node_modules", "vnu-jar", "build", "dist", "vnu.jar")

#: Roles from the least to the most privileged. A page is audited as the first that sees it.
ROLES = ("anonymous", "resident", "staff", "moderator", "admin")
AUDIT_EMAIL_DOMAIN = "audit.civic.example"
AUDIT_PASSWORD = "audit-pass-" + "7Kq2mZ"  # noqa: S105 - throwaway accounts in a test database


# ---- what is installed ---------------------------------------------------------------------


def missing_tools(need_java: bool = True) -> list[str]:
    """Human-readable reasons why the browser checks cannot run here (empty when they can)."""
    missing = []
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    if not os.path.isfile(AXE_JS):
        missing.append(f"axe-core not found at {AXE_JS} (run: npm ci --no-audit --no-fund)")
    if need_java:
        if not os.path.isfile(VNU_JAR):
            missing.append(f"vnu.jar not found at {VNU_JAR} (run: npm ci --no-audit --no-fund)")
        if shutil.which("java") is None:
            missing.append("java not found (apt-get install default-jre-headless)")
    return missing


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


# ---- the live server -----------------------------------------------------------------------


def make_database_url() -> tuple[str, callable]:
    """A fresh database: on TEST_DATABASE_URL's PostgreSQL server when set, else SQLite."""
    from tests.conftest import _make_database_url

    return _make_database_url()


@dataclass
class AuditAccount:
    role: str
    lang: str
    user_id: int | None
    email: str | None


@dataclass
class LiveEnv:
    """A running Civic with demo data, audit accounts and helpers to sign browsers in."""

    app: object
    base_url: str
    server: object
    thread: threading.Thread
    drop_database: callable
    accounts: dict[tuple[str, str], AuditAccount] = field(default_factory=dict)
    demo_loaded: bool = False
    _password_hash: str | None = None

    # -- mail captured by the app (MAIL_BACKEND=capture) --
    @property
    def outbox(self) -> list[dict]:
        return self.app.extensions.setdefault("civic_mail_outbox", [])

    def url(self, path: str) -> str:
        return self.base_url + path

    def account(self, role: str, lang: str = "en") -> AuditAccount:
        """An audit account; ``owner:<user id>`` is the demo person who owns an object."""
        if role.startswith("owner:"):
            return AuditAccount(role, lang, int(role.split(":", 1)[1]), None)
        return self.accounts[(role, lang)]

    def set_locale(self, user_id: int, lang: str) -> None:
        """Owners are demo people with their own language: switch it for each audited one."""
        from civic.accounts.models import User
        from civic.extensions import db

        with self.app.app_context():
            db.session.get(User, user_id).locale = lang
            db.session.commit()

    def session_cookie(self, role: str, lang: str = "en", extra: dict | None = None) -> str | None:
        """A signed Flask session cookie holding a new server-side session for the account
        (plus ``extra`` session values, for pages inside a flow)."""
        account = self.account(role, lang)
        if account.user_id is None:
            if not extra:
                return None
            with self.app.app_context():
                return self.app.session_interface.get_signing_serializer(self.app).dumps(dict(extra))
        from civic.accounts.models import UserSession, hash_token
        from civic.core.time import utcnow
        from civic.extensions import db

        token = secrets.token_urlsafe(32)
        now = utcnow()
        with self.app.app_context():
            db.session.add(
                UserSession(
                    token_hash=hash_token(token),
                    user_id=account.user_id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + timedelta(hours=12),
                    remember=False,
                    device="browser audit",
                )
            )
            db.session.commit()
            serializer = self.app.session_interface.get_signing_serializer(self.app)
            return serializer.dumps({"_user_id": token, "_fresh": True, **(extra or {})})

    def cookies_for(self, role: str, lang: str = "en", extra: dict | None = None) -> list[dict]:
        value = self.session_cookie(role, lang, extra)
        if value is None:
            return []
        return [
            {
                "name": self.app.config["SESSION_COOKIE_NAME"],
                "value": value,
                "url": self.base_url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]

    def test_client(self, role: str, lang: str = "en", extra: dict | None = None):
        """A Flask test client signed in like the browser would be (for quick probes)."""
        client = self.app.test_client()
        value = self.session_cookie(role, lang, extra)
        if value is not None:
            client.set_cookie(self.app.config["SESSION_COOKIE_NAME"], value, domain="localhost")
        return client

    def new_person(self, role: str = "resident", lang: str = "en") -> tuple[str, str]:
        """A fresh active account for one journey: (email, password)."""
        from civic.accounts.models import AccountStatus, Role, User
        from civic.accounts.passwords import hash_password
        from civic.core.time import utcnow
        from civic.extensions import db

        email = f"journey-{secrets.token_hex(4)}@{AUDIT_EMAIL_DOMAIN}"
        with self.app.app_context():
            if self._password_hash is None:
                self._password_hash = hash_password(AUDIT_PASSWORD)
            db.session.add(
                User(
                    email=email,
                    display_name="Journey Person",
                    password_hash=self._password_hash,
                    locale=lang,
                    timezone="Europe/Paris",
                    role={"moderator": Role.MODERATOR, "admin": Role.ADMIN}.get(role, Role.RESIDENT),
                    status=AccountStatus.ACTIVE,
                    email_confirmed_at=utcnow(),
                    verified_at=utcnow(),
                )
            )
            db.session.commit()
        return email, AUDIT_PASSWORD

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        from civic.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        self.drop_database()


def _seed(app) -> tuple[dict[tuple[str, str], AuditAccount], bool]:
    """Demo city (``civic.demo.load_demo_data``) plus one audit account per role and language."""
    from sqlalchemy import select

    from civic.accounts.models import AccountStatus, Department, DepartmentMembership, Role, User
    from civic.accounts.passwords import hash_password
    from civic.core.time import utcnow
    from civic.extensions import db
    from civic.pages.contract import CONTRACT

    demo_loaded = False
    try:
        from civic.demo import load_demo_data
    except ImportError:  # pragma: no cover - the demo package always exists in this tree
        load_demo_data = None
    if load_demo_data is not None:
        load_demo_data()
        db.session.commit()
        demo_loaded = True

    departments = db.session.execute(select(Department)).scalars().all()
    if not departments:  # without demo data, one department so "staff" means something
        departments = [Department(slug="audit", name_translations={"en": "Audit"}, default_locale="en")]
        db.session.add_all(departments)

    password_hash = hash_password(AUDIT_PASSWORD)
    now = utcnow()
    accounts: dict[tuple[str, str], AuditAccount] = {}
    for lang in CONTRACT.languages:
        accounts[("anonymous", lang)] = AuditAccount("anonymous", lang, None, None)
        for role in ROLES[1:]:
            email = f"{role}.{lang}@{AUDIT_EMAIL_DOMAIN}"
            user = User(
                email=email,
                display_name=f"Audit {role.title()} {lang.upper()}",
                password_hash=password_hash,
                locale=lang,
                timezone="Europe/Paris",
                role={"moderator": Role.MODERATOR, "admin": Role.ADMIN}.get(role, Role.RESIDENT),
                status=AccountStatus.ACTIVE,
                email_confirmed_at=now,
                verified_at=now,
            )
            if role in ("moderator", "admin"):
                _enable_two_factor(user)
            db.session.add(user)
            if role == "staff":
                # Staff of every department: so "staff of the owning department" holds for any
                # department-owned page the resolvers pick.
                for dept in departments:
                    db.session.add(DepartmentMembership(user=user, department=dept))
            db.session.flush()
            accounts[(role, lang)] = AuditAccount(role, lang, user.id, email)
    db.session.commit()
    return accounts, demo_loaded


def _enable_two_factor(user) -> None:
    """Moderators and administrators must use two-step verification (civic.accounts)."""
    try:
        from civic.accounts import two_factor
    except ImportError:  # pragma: no cover - before two-step verification existed
        return
    from civic.core.time import utcnow

    if hasattr(user, "totp_secret"):
        user.totp_secret = two_factor.new_secret()
        user.totp_enabled_at = utcnow()


def start_live_server(database_url: str | None = None, drop_database=None) -> LiveEnv:
    """Create, migrate and seed a database, then serve Civic on 127.0.0.1 from a thread."""
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from civic import create_app

    if database_url is None:
        database_url, drop_database = make_database_url()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_app(
        {
            "CIVIC_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": True,  # real browsers send real forms
            "MAIL_BACKEND": "capture",
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["SERVER_BASE_URL"] = base_url
    from civic.extensions import db

    with app.app_context():
        upgrade()
        accounts, demo_loaded = _seed(app)
        db.session.remove()
    thread = threading.Thread(target=server.serve_forever, name="civic-live-server", daemon=True)
    thread.start()
    return LiveEnv(
        app=app,
        base_url=base_url,
        server=server,
        thread=thread,
        drop_database=drop_database or (lambda: None),
        accounts=accounts,
        demo_loaded=demo_loaded,
    )


# ---- axe-core ------------------------------------------------------------------------------


def _axe_options(tags, rules) -> dict:
    options: dict = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": list(rules)}
    else:
        options["runOnly"] = {"type": "tag", "values": list(tags or ())}
    return options


def start_axe(page, tags: tuple[str, ...] | None = None, rules: list[str] | None = None) -> None:
    """Start axe-core in the page without waiting (pages audit in parallel renderers).

    The context must bypass CSP (axe is injected); ``finish_axe`` collects the violations.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=AXE_JS)
    page.evaluate(
        """(options) => {
            window.__civicAxe = axe.run(document, options).then(result => result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))
            })));
        }""",
        _axe_options(tags, rules),
    )


def finish_axe(page) -> list[dict]:
    return page.evaluate("() => window.__civicAxe")


def run_axe(page, tags: tuple[str, ...] | None = None, rules: list[str] | None = None) -> list[dict]:
    """Inject axe-core and return its violations (the context must bypass CSP)."""
    start_axe(page, tags, rules)
    return finish_axe(page)


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  [{v['id']}] ({v['impact']}) {v['help']} - {v['helpUrl']}")
        for node in v["nodes"][:8]:
            summary = " ".join((node.get("summary") or "").split())
            lines.append(f"      at {node['target']}: {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"      ... and {len(v['nodes']) - 8} more elements")
    return "\n".join(lines)


# ---- Nu Html Checker ------------------------------------------------------------------------


def run_vnu(paths: list[str]) -> dict[str, list[dict]]:
    """Validate many HTML files in ONE java run; returns errors per file path."""
    if not paths:
        return {}
    result = subprocess.run(  # noqa: S603
        ["java", "-Xss4m", "-jar", VNU_JAR, "--format", "json", "--exit-zero-always", *paths],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"vnu.jar failed ({result.returncode}): {result.stderr[-2000:]}")
    report = json.loads(result.stderr or result.stdout or '{"messages": []}')
    errors: dict[str, list[dict]] = {path: [] for path in paths}
    for message in report.get("messages", []):
        if message.get("type") not in ("error", "non-document-error"):
            continue
        url = message.get("url", "")
        path = urlsplit(url).path if url.startswith("file:") else url
        errors.setdefault(path, []).append(message)
    return errors


def format_vnu(messages: list[dict]) -> str:
    lines = []
    for m in messages[:20]:
        where = f"line {m.get('lastLine', '?')}"
        extract = " ".join((m.get("extract") or "").split())[:160]
        lines.append(f"  {where}: {m.get('message')}  «{extract}»")
    if len(messages) > 20:
        lines.append(f"  ... and {len(messages) - 20} more errors")
    return "\n".join(lines)


# ---- network: budget, compression, caching ---------------------------------------------------


@dataclass
class Transfer:
    url: str
    status: int = 0
    mime: str = ""
    encoded_bytes: int = 0
    headers: dict = field(default_factory=dict)
    finished: bool = False
    failed: str | None = None


class NetworkRecorder:
    """Counts what a page really transfers, through the Chrome DevTools Protocol."""

    def __init__(self, context, page):
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})  # always a cold cache
        self.transfers: dict[str, Transfer] = {}
        self.cdp.on("Network.requestWillBeSent", self._request)
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.on("Network.loadingFailed", self._failed)

    def reset(self) -> None:
        self.transfers = {}

    def _request(self, event):
        url = event["request"]["url"]
        if url.startswith(("data:", "blob:", "about:")):
            return
        self.transfers[event["requestId"]] = Transfer(url=url)

    def _response(self, event):
        t = self.transfers.get(event["requestId"])
        if t is not None:
            r = event["response"]
            t.status = r.get("status", 0)
            t.mime = r.get("mimeType", "")
            t.headers = {k.lower(): v for k, v in (r.get("headers") or {}).items()}

    def _finished(self, event):
        t = self.transfers.get(event["requestId"])
        if t is not None:
            t.encoded_bytes = int(event.get("encodedDataLength") or 0)
            t.finished = True

    def _failed(self, event):
        t = self.transfers.get(event["requestId"])
        if t is not None:
            t.failed = event.get("errorText", "failed")
            t.finished = True

    def settle(self, page, quiet_ms: int = 50, timeout_ms: int = 3000) -> list[Transfer]:
        """Wait until no request is in flight for ``quiet_ms``; return what was transferred."""
        waited, quiet = 0, 0
        while waited < timeout_ms and quiet < quiet_ms:
            page.wait_for_timeout(25)
            waited += 25
            pending = [t for t in self.transfers.values() if not t.finished]
            quiet = 0 if pending else quiet + 25
        return list(self.transfers.values())


def budget_problems(transfers: list[Transfer], base_url: str, budget) -> list[str]:
    problems = []
    origin = urlsplit(base_url)
    total = sum(t.encoded_bytes for t in transfers)
    if total > budget.max_bytes:
        sizes = ", ".join(f"{urlsplit(t.url).path} {t.encoded_bytes} B" for t in transfers)
        problems.append(
            f"transferred {total} bytes on a cold cache, over the budget of {budget.max_bytes} "
            f"({budget.max_kilobytes} KB): {sizes}"
        )
    if len(transfers) > budget.max_requests:
        problems.append(
            f"{len(transfers)} requests, over the budget of {budget.max_requests}: "
            + ", ".join(urlsplit(t.url).path for t in transfers)
        )
    foreign = [t.url for t in transfers if (urlsplit(t.url).scheme, urlsplit(t.url).netloc) != (origin.scheme, origin.netloc)]
    if len(foreign) > budget.other_origin_requests:
        problems.append("requests to other origins: " + ", ".join(foreign))
    for t in transfers:
        if t.failed:
            problems.append(f"request failed: {t.url} ({t.failed})")
    return problems


TEXT_MIMES = ("text/", "application/javascript", "application/json", "image/svg+xml")


def delivery_problems(transfers: list[Transfer], budget, min_size: int) -> list[str]:
    """Text is compressed (unless too small to bother); fingerprinted assets cached a year."""
    problems = []
    for t in transfers:
        path = urlsplit(t.url).path
        if t.status != 200:
            continue
        if path.startswith("/assets/") and t.headers.get("cache-control") != budget.asset_cache_control:
            problems.append(
                f"{path}: Cache-Control is {t.headers.get('cache-control')!r}, "
                f"expected {budget.asset_cache_control!r}"
            )
        if not t.mime.startswith(TEXT_MIMES):
            continue
        encoding = t.headers.get("content-encoding")
        if encoding in budget.text_encodings:
            continue
        length = t.headers.get("content-length")
        if encoding is None and length is not None and int(length) < min_size:
            continue  # too small to be worth compressing
        problems.append(
            f"{path} ({t.mime}, {t.encoded_bytes} B on the wire): Content-Encoding is "
            f"{encoding!r}, expected one of {', '.join(budget.text_encodings)}"
        )
    return problems


# ---- in-page checks ---------------------------------------------------------------------------


def horizontal_overflow(page) -> dict | None:
    """``None`` when the page does not scroll sideways, else what sticks out."""
    return page.evaluate(
        """() => {
            const root = document.documentElement;
            if (root.scrollWidth <= root.clientWidth) return null;
            const limit = root.clientWidth;
            const culprits = [];
            for (const el of document.body.querySelectorAll('*')) {
                const r = el.getBoundingClientRect();
                if (r.width && (r.right > limit + 1 || r.left < -1)) {
                    const parentSticks = el.parentElement && culprits.length &&
                        culprits[culprits.length - 1].el === el.parentElement;
                    culprits.push({el, desc: el.tagName.toLowerCase() +
                        (el.id ? '#' + el.id : '') +
                        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
                        ` (${Math.round(r.left)}..${Math.round(r.right)})`});
                }
            }
            return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth,
                    culprits: culprits.slice(-6).map(c => c.desc)};
        }"""
    )


def set_text_zoom(page, percent: int) -> None:
    """Text-only zoom: the root font size (every rem/em follows), as browsers' text zoom does."""
    page.evaluate("(p) => { document.documentElement.style.fontSize = p + '%'; }", percent)


def missing_text_alternatives(page) -> list[str]:
    """Images and SVGs that are not marked decorative and have no text alternative."""
    return page.evaluate(
        """() => {
            const out = [];
            const named = (el) => {
                const label = (el.getAttribute('aria-label') || '').trim();
                const ids = (el.getAttribute('aria-labelledby') || '').trim();
                const title = el.querySelector(':scope > title');
                return label || (ids && ids.split(/\\s+/).some(id => {
                    const t = document.getElementById(id); return t && t.textContent.trim();
                })) || (title && title.textContent.trim());
            };
            for (const img of document.querySelectorAll('img, input[type=image], area')) {
                if (img.getAttribute('role') === 'presentation' || img.getAttribute('role') === 'none') continue;
                if (img.hasAttribute('alt')) continue;  // alt="" marks a decorative image
                if (named(img)) continue;
                out.push(img.outerHTML.slice(0, 160));
            }
            for (const svg of document.querySelectorAll('svg')) {
                if (svg.closest('[aria-hidden="true"]')) continue;
                const role = svg.getAttribute('role');
                if (role === 'presentation' || role === 'none') continue;
                if (svg.parentElement && svg.parentElement.closest('svg')) continue;
                if (named(svg)) continue;
                out.push(svg.outerHTML.slice(0, 160) + ' (add aria-hidden="true" if decorative, else role="img" and a <title> or aria-label)');
            }
            return out;
        }"""
    )


def vague_links(page, vague: frozenset[str]) -> list[str]:
    texts = page.evaluate(
        """() => Array.from(document.querySelectorAll('a[href]')).map(a => {
            const label = a.getAttribute('aria-label');
            const text = (label !== null ? label : a.innerText || a.textContent || '');
            return text.replace(/\\s+/g, ' ').trim();
        })"""
    )
    return sorted({t for t in texts if t.lower().strip(" .…:!»›→") in vague})


FOCUS_STATE_JS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return {body: true};
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    const shadow = s.boxShadow && s.boxShadow !== 'none';
    const name = (el.getAttribute('aria-label') || el.innerText || el.value || el.name || '')
        .replace(/\\s+/g, ' ').trim().slice(0, 60);
    return {
        body: false,
        tag: el.tagName.toLowerCase(), id: el.id, cls: (typeof el.className === 'string' ? el.className : ''),
        name, href: el.getAttribute('href'),
        visible: (outline || shadow) && r.width > 0 && r.height > 0,
        outline: s.outlineStyle + ' ' + s.outlineWidth, shadow: s.boxShadow,
    };
}"""


def describe_focus(state: dict) -> str:
    if state.get("body"):
        return "<body>"
    ident = state["tag"] + (f"#{state['id']}" if state.get("id") else "")
    return f"{ident} “{state.get('name', '')}”"
