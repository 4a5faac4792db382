"""A token bucket: `rate_per_s` tokens a second, at most `burst` saved up, on whatever clock the caller reads."""

from __future__ import annotations


class TokenBucket:
    """Full at the start; `take(n, now)` refills for the time since the last call, then takes `n` if there."""

    def __init__(self, rate_per_s: float, burst: float):
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.tokens = burst
        self.at: float | None = None

    def take(self, n: float, now: float) -> bool:
        if self.at is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate_per_s)
        self.at = now
        if self.tokens >= n:
            self.tokens -= n
            return True
        return False
