"""The staff web tool (Flask): sign-in, sessions, CSRF and the pages' blueprints.

Sign-in is with an account's password (argon2, accounts.py) or, when configured, the identity an
authenticating proxy puts in a header; that header is believed only from the proxy's addresses.
Every POST must carry the session's CSRF token. Pages are server-rendered (Jinja2 escapes every
value) and the Content-Security-Policy allows scripts from the tool's own static folder only.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask, Response, abort, g, redirect, render_template, request, session, url_for

from riv_scheduling.domain import UnitOfWork

from .accounts import AccountFile
from .security import LoginLimiter, new_token, same_token
from .staff import ROLE_NAMES, Staff
from .stats import StatsSource

log = logging.getLogger("riv_scheduling.admin")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


@dataclass
class Settings:
    accounts: AccountFile = field(default_factory=AccountFile)
    secret_key: str | None = None  # None: a random key (sessions end when the process does)
    secure_cookie: bool = True
    trusted_header: str | None = None  # e.g. "X-Remote-User", set by the SITHS login proxy
    trusted_proxies: tuple[str, ...] = ()
    session_hours: int = 8


def create_admin_app(
    uow_factory: Callable[[], UnitOfWork],
    settings: Settings | None = None,
    stats: StatsSource | None = None,
    store: Any = None,
) -> Flask:
    settings = settings or Settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key or os.environ.get("RIV_SCHEDULING_ADMIN_SECRET") or secrets.token_hex(32),
        SESSION_COOKIE_NAME="riv_admin",
        SESSION_COOKIE_SECURE=settings.secure_cookie,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    app.extensions["riv"] = {"uow": uow_factory, "settings": settings, "stats": stats, "store": store,
                             "limiter": LoginLimiter()}

    @app.before_request
    def _identify() -> Any:
        g.staff = _current_staff(settings)
        if "csrf" not in session:
            session["csrf"] = new_token()
        if request.method == "POST" and not same_token(session.get("csrf"), request.form.get("csrf_token")):
            abort(400, "Formuläret saknar en giltig säkerhetskod (CSRF). Ladda om sidan och försök igen.")
        open_pages = {"login", "static"}
        if g.staff is None and request.endpoint not in open_pages:
            return redirect(url_for("login", next=request.path)) if request.method == "GET" else abort(401)
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"staff": g.get("staff"), "csrf_token": session.get("csrf", ""), "role_names": ROLE_NAMES}

    @app.errorhandler(400)
    @app.errorhandler(401)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(409)
    @app.errorhandler(413)
    def _error(exc: Any) -> tuple[str, int]:
        return render_template("error.html", code=exc.code, message=exc.description), exc.code

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        error = None
        status = 200
        if request.method == "POST":
            username = request.form.get("username", "").strip()
            password = request.form.get("password", "")
            limiter: LoginLimiter = app.extensions["riv"]["limiter"]
            keys = (f"ip:{request.remote_addr}", f"user:{username.lower()}")
            if limiter.blocked(*keys):
                error, status = "För många misslyckade inloggningar. Vänta en stund och försök igen.", 429
            else:
                staff = settings.accounts.verify(username, password) if username and password else None
                if staff is None:
                    limiter.failed(*keys)
                    error, status = "Fel användarnamn eller lösenord.", 401
                    log.warning("admin sign-in failed", extra={"client": request.remote_addr})
                else:
                    session.clear()
                    session.permanent = True
                    session["user"] = staff.username
                    session["csrf"] = new_token()  # a new session gets a new token
                    log.info("admin signed in", extra={"staff": staff.username})
                    target = request.args.get("next", "")
                    return redirect(target if target.startswith("/") and not target.startswith("//") else "/")
        return render_template("login.html", error=error), status

    @app.post("/logout")
    def logout() -> Any:
        session.clear()
        return redirect(url_for("login"))

    from . import views_rules, views_stats, views_support, views_texts

    app.register_blueprint(views_texts.blueprint)
    app.register_blueprint(views_rules.blueprint)
    app.register_blueprint(views_support.blueprint)
    app.register_blueprint(views_stats.blueprint)
    return app


def _current_staff(settings: Settings) -> Staff | None:
    if settings.trusted_header:
        who = request.headers.get(settings.trusted_header)
        if who and request.remote_addr in settings.trusted_proxies:
            account = settings.accounts.get(who.strip())
            return account.staff if account is not None else None
        if who:
            log.warning("identity header from an untrusted address ignored", extra={"client": request.remote_addr})
    username = session.get("user")
    if not username:
        return None
    account = settings.accounts.get(username)  # read again: a removed account is signed out at once
    if account is None or account.password_hash is None:
        session.clear()
        return None
    return account.staff
