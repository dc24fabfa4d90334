"""Audit one page while developing: ``make audit-page URL=/path`` (or ``python -m tools.audit_page``).

Starts Civic on 127.0.0.1 with a fresh database and the demo city, then checks the page in
Chromium exactly as the browser tests do (civic/pages/contract.py): axe-core in English,
French and Arabic, the page sent with mistakes, the Nu Html Checker, the low-bandwidth budget,
compression and caching, 320 px and 200 % text, dark mode contrast, text alternatives and link
texts. Prints a readable report; exits 1 when something fails.

Options: ``--role anonymous|resident|staff|moderator|admin`` (default: the least privileged
that can see the page), ``--lang en,fr`` (default: the contract's languages).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def main(argv: list[str] | None = None) -> int:
    from civic.pages.contract import CONTRACT
    from tests.browser import harness
    from tests.browser.audit import CATEGORIES, Auditor

    parser = argparse.ArgumentParser(prog="make audit-page URL=/path", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", help="the page's path, for example /accessibility")
    parser.add_argument("--role", choices=harness.ROLES, help="who looks at the page")
    default_langs = ",".join(CONTRACT.languages)
    parser.add_argument("--lang", help=f"comma-separated languages (default: {default_langs})")
    args = parser.parse_args(argv)
    if not args.path or not args.path.startswith("/"):
        parser.error("give the page's path, starting with /: make audit-page URL=/accessibility")
    missing = harness.missing_tools()
    if missing:
        print("Cannot audit:\n  " + "\n  ".join(missing), file=sys.stderr)  # noqa: T201
        return 2
    languages = tuple(args.lang.split(",")) if args.lang else CONTRACT.languages

    from playwright.sync_api import sync_playwright

    print(f"Starting Civic with the demo city to audit {args.path} ...", flush=True)  # noqa: T201
    env = harness.start_live_server()
    try:
        with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="civic-audit-") as workdir:
            browser = harness.launch_browser(playwright)
            auditor = Auditor(env, browser, workdir, languages=languages)
            try:
                variant = auditor.audit_path(args.path, role=args.role)
                if not variant.skipped and variant.html_files:
                    auditor.validate_html([variant])
            finally:
                auditor.close()
                browser.close()
    finally:
        env.stop()

    print(f"\n{args.path} as {variant.role or '?'} in {', '.join(languages)}")  # noqa: T201
    if variant.skipped:
        print(f"  skipped: {variant.skipped}")  # noqa: T201
        return 0
    budget = CONTRACT.budget
    print(  # noqa: T201
        f"  cold cache: {variant.transferred_bytes / 1024:.1f} KB of {budget.max_kilobytes} KB, "
        f"{variant.requests} of {budget.max_requests} requests"
    )
    failed = 0
    for category in CATEGORIES:
        problems = variant.problems[category]
        mark = "FAIL" if problems else "ok  "
        print(f"  {mark} {category}")  # noqa: T201
        for problem in problems:
            failed += 1
            print("       " + problem.replace("\n", "\n       "))  # noqa: T201
    print("\n" + ("All checks passed." if not failed else f"{failed} problem(s) found."))  # noqa: T201
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
