"""The one settings object. Nothing else reads the environment."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUDIO_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".studio"), description="Database, broker, uploads, models and run artifacts.")
    database_url: str = Field("", description="e.g. postgresql+psycopg://user@host/db. Empty: SQLite in the data dir.")
    broker_url: str = Field("", description="e.g. redis://host:6379/0. Empty: SQLite in the data dir.")
    host: str = Field(
        "127.0.0.1",
        description="The address the API binds to. Anything but loopback needs an admin and STUDIO_SECRET_KEY "
        "(the API refuses to start without them).",
    )
    port: int = 8000
    secret_key: SecretStr = Field(
        SecretStr(""),
        description="Keys the hashes of session and API tokens. Empty on loopback: generated once into the data dir.",
    )
    admin_email: str = Field(
        "", description="With admin_password: the first admin, created at start if no user exists."
    )
    admin_password: SecretStr = SecretStr("")
    allowed_hosts: str = Field(
        "127.0.0.1,localhost",
        description="Comma-separated Host header values the API answers (DNS rebinding); '*' answers any.",
    )
    session_hours: float = Field(24 * 7, gt=0, description="How long a browser sign-in lasts.")
    secure_cookies: bool = Field(False, description="Send the session cookie over HTTPS only: set behind TLS.")
    signin_failures_per_minute: int = Field(
        10, ge=1, description="Failed sign-ins allowed per minute, per client address and per account."
    )
    model_roots: str = Field(
        "",
        description="Comma-separated directories that admins may register local models from. Empty: the data "
        "dir's models.",
    )
    max_upload_bytes: int = Field(
        500 * 1024 * 1024,
        description="Largest file accepted in an upload; a request declaring or sending more is refused before it is "
        "read in full.",
    )
    max_decoded_bytes: int = Field(
        0,
        ge=0,
        description="Most data an upload may hold once decompressed (Parquet is compressed: a file of a few hundred "
        "bytes can hold gigabytes of text). 0: four times max_upload_bytes.",
    )
    max_line_bytes: int = Field(
        1024 * 1024,
        description="Longest line (JSONL, CSV/TSV) or JSON-array item accepted: a longer one is a bad row, "
        "not a reason to read hundreds of MB into memory.",
    )
    max_benchmark_bytes: int = Field(
        32 * 1024 * 1024,
        description="Largest multiple-choice benchmark file accepted (MMLU's 14,042 test questions are 7 MB as CSV): "
        "its questions are read into memory to be checked before any is stored.",
    )
    max_benchmark_questions: int = Field(
        20_000,
        description="Most questions one benchmark may hold: each costs one forward pass per choice in every "
        "evaluation of it.",
    )
    sse_max_connection_seconds: int = Field(
        900,
        description="SSE streams end after this long with a 'reconnect' event, so proxies never hold them forever.",
    )
    sse_poll_seconds: float = Field(
        1.0,
        gt=0,
        description="How often an API process reads the database for the live streams it serves: evaluations', and "
        "runs' without Redis (with Redis, the worker's notices wake a run's stream instead).",
    )
    lease_seconds: float = Field(
        60, description="A running run whose worker has not renewed its lease for this long is taken as lost."
    )
    heartbeat_seconds: float = Field(10, description="How often a worker renews the lease of the run it trains.")
    reaper_seconds: float = Field(15, description="How often each worker looks for runs whose lease expired.")
    max_attempts: int = Field(3, description="Attempts at a run (first try + resumes) before it is marked failed.")
    queued_resend_seconds: float = Field(
        120,
        gt=0,
        description="A queued run that no worker has claimed this long after its task was sent is sent again by a "
        "worker's reaper (its task was lost, or never reached the broker); the wait doubles with the run's time in the "
        "queue, so a run waiting behind busy workers is not sent every interval. A duplicate task is harmless: only "
        "one worker can claim the run.",
    )
    judge_concurrency: int = Field(
        4,
        ge=1,
        le=64,
        description="Calls a judging makes to an endpoint at once. More: faster, until the endpoint's rate limit "
        "answers 429 (retried after its Retry-After).",
    )
    judge_timeout_seconds: float = Field(
        60, gt=0, description="How long one call to a judge's endpoint may take before it is retried."
    )
    judge_retries: int = Field(
        3,
        ge=0,
        le=10,
        description="Retries of a judge call that timed out or got a 429 or 5xx, waiting 1 s, 2 s, 4 s...; after the "
        "last one the answer is 'not judged' with the reason.",
    )
    webhook_url: str = Field(
        "",
        description="Where every run's end (succeeded, failed, cancelled) is posted, signed with webhook_secret "
        "(README: Webhooks). Set by whoever runs the studio, so it may point inside the network. Empty: none; a run "
        "can still have its own webhook_url.",
    )
    webhook_secret: SecretStr = Field(
        SecretStr(""),
        description="Signs the global webhook's deliveries, and those of a run whose webhook has no secret of its own.",
    )
    webhook_attempts: int = Field(
        5, ge=1, le=20, description="Attempts at one delivery (a timeout, a connection error, a 429 or a 5xx retries)."
    )
    webhook_backoff_seconds: float = Field(
        10, gt=0, description="The wait before a delivery's second attempt; it doubles before each next one."
    )
    webhook_timeout_seconds: float = Field(10, gt=0, description="How long one delivery attempt may take.")
    simulate_oom_above_batch: int | None = Field(
        None,
        ge=1,
        description="Test and diagnostic knob, never for production: the worker raises a (simulated) CUDA out-of-memory "
        "error at every training step whose micro-batch is above this, to exercise the out-of-memory retries on a "
        "machine without a GPU. Empty: off.",
    )
    public_url: str = Field(
        "",
        description="The address users open the studio at (https://studio.example.com), for links in webhooks. "
        "Empty: http://host:port.",
    )
    frontend_dist: Path = Path(__file__).resolve().parents[2] / "frontend" / "dist"

    @model_validator(mode="after")
    def _embedded_defaults(self) -> "Settings":
        # The zero-setup default: everything in one folder, no server to install.
        self.data_dir = self.data_dir.resolve()
        if not self.max_decoded_bytes:
            self.max_decoded_bytes = 4 * self.max_upload_bytes
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'studio.sqlite'}"
        if not self.broker_url:
            self.broker_url = f"sqla+sqlite:///{self.data_dir / 'broker.sqlite'}"
        if self.webhook_url and not self.webhook_secret.get_secret_value():
            raise ValueError("STUDIO_WEBHOOK_URL needs STUDIO_WEBHOOK_SECRET: every delivery is signed with it")
        return self

    @property
    def redis_url(self) -> str | None:
        """The broker's Redis, which also carries live-stream notices and sign-in counts; None without Redis."""
        return self.broker_url if self.broker_url.startswith(("redis://", "rediss://")) else None

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def allowed_host_list(self) -> list[str]:
        hosts = [host.strip() for host in self.allowed_hosts.split(",") if host.strip()]
        if self.host not in {"0.0.0.0", "::"}:
            hosts.append(self.host)  # bound to one address: it is reached by that address
        return hosts

    @property
    def model_root_list(self) -> list[Path]:
        roots = [Path(root.strip()).resolve() for root in self.model_roots.split(",") if root.strip()]
        return roots or [self.models_dir.resolve()]

    @property
    def studio_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def loopback(self) -> bool:
        return self.host in {"127.0.0.1", "localhost", "::1"} or self.host.startswith("127.")


@lru_cache
def get_settings() -> Settings:
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings
