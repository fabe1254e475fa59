"""What a credential lookup returns, and where it can come from."""

from typing import Literal

import msgspec

SecretSource = Literal["vault", "keystore", "env"]


class ProviderSecret(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A provider's credential and connection overrides. ``origin`` says where, never what."""

    api_key: str | None = None
    base_url: str | None = None
    organization: str | None = None
    headers: dict[str, str] = {}
    source: SecretSource
    origin: str

    def __repr__(self) -> str:  # the key must never reach a log through repr()
        return f"ProviderSecret(source={self.source!r}, origin={self.origin!r})"
