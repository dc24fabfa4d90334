"""Fingerprinted static assets: ``asset_url('civic.css')`` → ``/static/civic.<hash>.css``.

Fingerprinted URLs are served with a one-year immutable cache lifetime; a changed file gets a
new name, so browsers never keep a stale copy.
"""

from __future__ import annotations

import hashlib
import os

from flask import Flask, abort, send_from_directory, url_for

ONE_YEAR = 365 * 24 * 3600  # seconds


def _fingerprints(static_dir: str) -> tuple[dict[str, str], dict[str, str]]:
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    for root, _dirs, files in os.walk(static_dir):
        for name in files:
            full = os.path.join(root, name)
            rel = os.path.relpath(full, static_dir).replace(os.sep, "/")
            with open(full, "rb") as fh:
                digest = hashlib.sha256(fh.read()).hexdigest()[:12]
            stem, dot, ext = rel.rpartition(".")
            hashed = f"{stem}.{digest}.{ext}" if dot else f"{rel}.{digest}"
            forward[rel] = hashed
            backward[hashed] = rel
    return forward, backward


def init_app(app: Flask) -> None:
    static_dir = app.static_folder
    forward, backward = _fingerprints(static_dir)
    app.extensions["civic_assets"] = forward

    def asset_url(filename: str) -> str:
        if app.debug:  # files change while developing: recompute
            f2, b2 = _fingerprints(static_dir)
            forward.update(f2)
            backward.update(b2)
        return url_for("assets", filename=forward.get(filename, filename))

    @app.route("/assets/<path:filename>", endpoint="assets")
    def serve_asset(filename: str):
        original = backward.get(filename)
        if original is None:
            abort(404)
        response = send_from_directory(static_dir, original, max_age=ONE_YEAR)
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        # Static files are small: buffer them, so Flask-Compress compresses them like pages
        # (br/gzip with a Content-Length) instead of its streaming path.
        response.direct_passthrough = False
        response.make_sequence()
        return response

    serve_asset.civic_permission = "anyone"
    app.jinja_env.globals["asset_url"] = asset_url
