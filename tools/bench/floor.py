"""The "floor": the least a Flask page on this stack can cost, to compare Civic's pages with.

``/rows``: 20 rows of the ``proposal`` table through SQLAlchemy (Flask-SQLAlchemy, same
engine options as Civic) and a plain Jinja template. ``/hello``: a Flask "hello world".
Served by gunicorn exactly like Civic: ``gunicorn 'tools.bench.floor:create_app()'``.
"""

from __future__ import annotations

import os
from datetime import datetime

from flask import Flask, render_template_string
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Proposals</title></head>
<body><main><h1>Proposals</h1>
<table><caption>Newest proposals</caption>
<thead><tr><th scope="col">Title</th><th scope="col">Supports</th><th scope="col">Comments</th><th scope="col">Published</th></tr></thead>
<tbody>
{% for p in rows %}<tr><td><a href="/proposals/{{ p.id }}">{{ p.title }}</a></td><td>{{ p.support_count }}</td><td>{{ p.comment_count }}</td><td>{{ p.published_at.strftime("%Y-%m-%d") if p.published_at else "" }}</td></tr>
{% endfor %}</tbody></table></main></body></html>
"""


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Proposal(db.Model):
    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(150))
    support_count: Mapped[int]
    comment_count: Mapped[int]
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def create_app(database_url: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url or os.environ["DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "floor")
    db.init_app(app)

    @app.get("/rows")
    def rows():
        items = db.session.execute(select(Proposal).order_by(Proposal.id.desc()).limit(20)).scalars().all()
        return render_template_string(TEMPLATE, rows=items)

    @app.get("/hello")
    def hello():
        return "Hello, World!"

    return app
