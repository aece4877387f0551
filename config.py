"""Configuration classes, read from environment variables."""

import os
import secrets


def _bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Configuration from the environment; defaults give the embedded SQLite set-up."""

    def __init__(self) -> None:
        env = os.environ
        self.ENV_NAME = env.get("CRM_ENV", "production")
        # Where the SQLite file and the generated secret key live (default: ./instance).
        self.INSTANCE_PATH = env.get("CRM_INSTANCE_PATH") or None
        # None means: a SQLite file in the instance folder (resolved by create_app).
        self.SQLALCHEMY_DATABASE_URI = env.get("CRM_DATABASE_URL") or None
        # None means: generated once into the instance folder (resolved by create_app).
        self.SECRET_KEY = env.get("CRM_SECRET_KEY") or None
        self.REDIS_URL = env.get("CRM_REDIS_URL") or None
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.JOBS_MODE = env.get("CRM_JOBS_MODE") or ("rq" if self.REDIS_URL else "thread")
        self.RATELIMIT_ENABLED = _bool("CRM_RATELIMIT_ENABLED", True)
        self.LOGIN_LIMIT_PER_ACCOUNT = env.get("CRM_LOGIN_LIMIT_ACCOUNT", "5 per 15 minutes")
        self.LOGIN_LIMIT_PER_CLIENT = env.get("CRM_LOGIN_LIMIT_CLIENT", "20 per 15 minutes")
        self.SESSION_IDLE_MINUTES = int(env.get("CRM_SESSION_IDLE_MINUTES", "30"))
        self.SESSION_MAX_HOURS = int(env.get("CRM_SESSION_MAX_HOURS", "12"))
        self.SESSION_COOKIE_SECURE = _bool("CRM_SECURE_COOKIES", self.ENV_NAME != "development")
        self.DEFAULT_PHONE_REGION = env.get("CRM_DEFAULT_PHONE_REGION", "IT")
        # Fuzzy identity resolution: merge automatically at or above AUTO, review at REVIEW.
        self.MATCH_AUTO_THRESHOLD = float(env.get("CRM_MATCH_AUTO_THRESHOLD", "0.92"))
        self.MATCH_REVIEW_THRESHOLD = float(env.get("CRM_MATCH_REVIEW_THRESHOLD", "0.75"))
        self.SQLALCHEMY_ECHO = _bool("SQLALCHEMY_ECHO", False)
        # SQLite page cache per connection (MiB): big imports touch indexes all over a
        # database far larger than SQLite's 2 MiB default.
        self.SQLITE_CACHE_MB = int(env.get("CRM_SQLITE_CACHE_MB", "64"))
        # Profiles an import keeps in memory as the scorer sees them (~550 bytes each):
        # more buys speed on a big database, at the price of memory.
        self.IMPORT_PROFILE_CACHE = int(env.get("CRM_IMPORT_PROFILE_CACHE", "65536"))
        # Days an import's report keeps the rows it rejected or warned about (their cells:
        # personal data); 0 keeps them until the import is deleted.
        self.IMPORT_REPORT_DAYS = int(env.get("CRM_IMPORT_REPORT_DAYS", "90"))
        # Behind a reverse proxy: trust this many X-Forwarded-For/-Proto hops (0 = none),
        # so throttling sees the client's address and not the proxy's.
        self.PROXY_HOPS = int(env.get("CRM_PROXY_HOPS", "0"))
        # Largest JSON body the API reads (413 beyond): 1000 records of a few KiB each fit
        # many times over, and a body is decoded in memory. Web uploads have their own limit.
        self.API_MAX_CONTENT_LENGTH = int(env.get("CRM_API_MAX_BODY_MB", "16")) * 1024 * 1024

    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "crm_session"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # the CSRF token lives as long as the server-side session
    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BTN_STYLE = "primary"
    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = ("en", "it")
    PAGE_SIZE = 50
    API_TITLE = "CRM API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_SPEC_OPTIONS = {
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
            }
        },
        "security": [{"bearerAuth": []}],
    }
    PASSWORD_MIN_LENGTH = 10
    ARGON2_PARAMS: dict = {}


class TestConfig(Config):
    """Configuration for the test suite: a database per test, fast hashing, CSRF still on."""

    TESTING = True

    def __init__(self, database_url: str | None = None) -> None:
        super().__init__()
        self.ENV_NAME = "testing"
        self.SQLALCHEMY_DATABASE_URI = database_url or os.environ.get("CRM_TEST_DATABASE_URL")
        self.SECRET_KEY = secrets.token_hex(32)
        # Cheap argon2 parameters keep the suite fast; production uses the library defaults.
        self.ARGON2_PARAMS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
        self.SESSION_COOKIE_SECURE = False
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.SQLALCHEMY_ECHO = False
