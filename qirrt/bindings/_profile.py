"""The profile a frontend's program is finished in: the one it needs, or the one the caller asks for."""

from __future__ import annotations

from qirrt.errors import FrontendError
from qirrt.qir.program import Profile


def choose_profile(adaptive: bool, profile: Profile | str | None, *, refusal: str) -> Profile:
    """Adaptive when the lowering needed it, else base; `profile` overrides that unless it asks for base
    where adaptive is needed, which raises `FrontendError(refusal)`."""
    chosen = Profile.ADAPTIVE if adaptive else Profile.BASE
    if profile is None:
        return chosen
    requested = Profile.parse(profile) if isinstance(profile, str) else profile
    if requested is Profile.BASE and chosen is Profile.ADAPTIVE:
        raise FrontendError(refusal)
    return requested
