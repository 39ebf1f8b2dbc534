"""The failed-sign-in limit: per client address and per account, so neither one machine nor many can guess on."""

from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from backend.core.config import get_settings


@dataclass(frozen=True)
class SignInLimiter:
    limiter: MovingWindowRateLimiter
    per_minute: RateLimitItemPerMinute

    def allowed(self, *keys: str) -> bool:
        return all(self.limiter.test(self.per_minute, "signin", key) for key in keys)

    def failed(self, *keys: str) -> None:
        for key in keys:
            self.limiter.hit(self.per_minute, "signin", key)


@lru_cache
def signin_limiter() -> SignInLimiter:
    settings = get_settings()
    # Redis, when it is the broker, shares the count between API processes; otherwise each process counts alone.
    uri = settings.redis_url or "memory://"
    return SignInLimiter(
        MovingWindowRateLimiter(storage_from_string(uri)), RateLimitItemPerMinute(settings.signin_failures_per_minute)
    )
