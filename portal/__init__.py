"""The accompaniment portal: create_app() builds it."""

import os
import tomllib
from pathlib import Path

from flask import Flask
from flask.globals import request_ctx
from flask_babel import format_date, format_datetime, format_number, format_timedelta, get_locale
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    access,
    assets,
    db,
    deadlines,
    i18n,
    incoming,
    jobs,
    keychain,
    navigation,
    page_cache,
    regions,
    request_keys,
    request_log,
    review,
    sealing,
    security,
    vocabulary,
)
from . import config as settings
from .extensions import babel, csrf, htmx, limiter
from .flask_app import Portal
from .i18n import LANGUAGES, country_name, remember_locale, selected_locale, text_direction
from .models import utcnow
from .navigation import language_url, this_page
from .sessions import staff_user

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    instance_path = os.environ.get("PORTAL_INSTANCE_PATH") or str(ROOT / "instance")
    if config and config.get("INSTANCE_PATH"):
        instance_path = config["INSTANCE_PATH"]
    app = Portal(
        __name__,
        instance_path=str(Path(instance_path).resolve()),
        template_folder=str(ROOT / "templates"),
        # Static files are served by portal/assets.py, under hashed names.
        static_folder=None,
    )
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)

    app.config.update(settings.DEFAULTS)
    # instance/config.toml (same names, without the PORTAL_ prefix), then the environment.
    app.config.from_file(
        os.path.join(app.instance_path, "config.toml"), load=tomllib.load, silent=True, text=False
    )
    app.config.update(settings.from_environment())
    if config:
        app.config.update(config)
    _complete_config(app)

    page_cache.init_app(app)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    sealing.init_app(app)
    keychain.init_app(app)
    db.init_app(app)
    babel.init_app(app, locale_selector=selected_locale)
    incoming.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    _limits_only_where_declared(app)
    security.init_app(app)
    assets.init_app(app, security.static_headers(app))
    request_log.init_app(app)
    deadlines.init_app(app)
    jobs.init_app(app)
    app.after_request(remember_locale)
    app.jinja_env.globals.update(
        text_direction=text_direction,
        site_languages=LANGUAGES,
        get_locale=get_locale,
        format_date=format_date,
        format_datetime=format_datetime,
        format_timedelta=format_timedelta,
        format_number=format_number,
        now=utcnow,
        country_name=country_name,
        language_url=language_url,
        this_page=this_page,
        current_staff_user=staff_user,
        lacks_group_key=keychain.lacks_key,
        opened=request_keys.opened,
        withheld=request_keys.WITHHELD,
        may_review=access.may_review,
        may_administer=access.may_administer,
        answers_offers=access.answers_offers,
        language_name=i18n.language_name,
        exact_duration=i18n.exact_duration,
        moment=i18n.moment,
        ago=i18n.ago,
        common_languages=i18n.COMMON_LANGUAGES,
        countries_by_region=i18n.countries_by_region,
        age_in_days=review.age_in_days,
        reopenable_until=review.reopenable_until,
        expectation=deadlines.expectation,
        deadline_of=deadlines.deadline_of,
        region_labels=regions.REGIONS,
        site_name=app.config["SITE_NAME"],
        is_public_page=navigation.is_public_page,
        # Every label table, for every template: one set, see portal/vocabulary.py.
        **vocabulary.template_labels(),
    )

    from .accounts.views import bp as accounts_bp
    from .audit.views import bp as audit_bp
    from .auth.views import bp as auth_bp
    from .directory.views import bp as directory_bp
    from .figures.views import bp as figures_bp
    from .grants.views import bp as grants_bp
    from .intake.views import bp as intake_bp
    from .notices.views import bp as notices_bp
    from .offers.views import bp as offers_bp
    from .organizations.views import bp as organizations_bp
    from .pages.views import bp as pages_bp
    from .review.views import bp as review_bp

    for blueprint in (
        pages_bp,
        intake_bp,
        directory_bp,
        auth_bp,
        review_bp,
        offers_bp,
        accounts_bp,
        organizations_bp,
        audit_bp,
        notices_bp,
        figures_bp,
        grants_bp,
    ):
        app.register_blueprint(blueprint)

    from . import cli

    cli.init_app(app)
    return app


def _limits_only_where_declared(app: Flask) -> None:
    """Every rate limit here is a decorator's, checked when its view runs. The check
    Flask-Limiter also makes before every request would look for default and
    application limits, which the portal has none of: it costs a fifth of a millisecond
    on every answer, a quarter of a small page's time, for nothing. Its after-request
    step (limits that count only some answers, `deduct_when`) and its clean-up run only
    where a limit was checked: that is where it keeps its state for the request."""
    for setting in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION"):
        if app.config.get(setting):
            raise RuntimeError(f"{setting} is not supported: limits are set on each view")
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    after = app.after_request_funcs[None]
    inject_headers = type(limiter)._Limiter__inject_headers
    (deduct,) = [f for f in after if getattr(f, "func", None) is inject_headers]
    (release,) = app.teardown_request_funcs[None]

    def deduct_where_checked(response):
        return deduct(response) if limits_checked() else response

    def release_where_checked(error=None):
        if limits_checked():
            release(error)

    after[after.index(deduct)] = deduct_where_checked
    app.teardown_request_funcs[None] = [release_where_checked]


def limits_checked() -> bool:
    return hasattr(request_ctx._get_current_object(), "_limiter_request_context")


def _complete_config(app: Flask) -> None:
    """Fill in secrets and paths that depend on the instance folder."""
    cfg = app.config
    instance = app.instance_path
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = settings.instance_secret(
            instance, "secret_key", settings.new_secret_key
        )
    if not cfg.get("DATA_KEYS"):
        cfg["DATA_KEYS"] = settings.instance_secret(
            instance, "data_keys", settings.new_data_keyring
        )
    if not cfg.get("TRACKING_KEY"):
        cfg["TRACKING_KEY"] = settings.instance_secret(
            instance, "tracking_key", settings.new_secret_key
        )
    if not cfg.get("DATABASE_URL"):
        cfg["DATABASE_URL"] = "sqlite:///" + str(Path(instance) / "portal.sqlite3")

    https = cfg["HTTPS"]
    cfg.update(
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "translations"),
        BABEL_DEFAULT_LOCALE="en",
        # No uploads: 1 MB is far more than the longest request.
        MAX_CONTENT_LENGTH=1024 * 1024,
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
        MAX_FORM_PARTS=500,
        SESSION_COOKIE_NAME="__Host-session" if https else "session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        LANG_COOKIE_NAME="__Host-lang" if https else "lang",
        WTF_CSRF_SSL_STRICT=True,
        # The CSRF token lives as long as the browser session; a form left open
        # for hours (a slow, careful writer) must still send.
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_HEADERS_ENABLED=False,
    )
