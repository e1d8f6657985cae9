"""Mint RS256 access tokens for the local API (imagecat_tools.local_api), like Auth0 issues them.

On first use it creates a local RSA key pair and its JWKS under .tools/local-auth/ (ignored by
git): private-key.pem (mode 0600) and jwks.json, whose one key's `kid` is the RFC 7638
thumbprint. The local API trusts that JWKS, the way API Gateway's JWT authorizer trusts
https://TENANT.auth0.com/.well-known/jwks.json. These keys are for local testing only.

    scripts/mint-token                                  # 1-hour token for auth0|local-user
    scripts/mint-token --sub 'google-oauth2|123' --scope 'read:images'
    scripts/mint-token --expires-in -600                # already expired (for tests)
    scripts/mint-token --dir path/to/other-keys --kid KID  # signed by another key, claiming KID
    scripts/mint-token --print-jwks-path

Library use (tests):

    from imagecat_tools.mint_token import LocalKeys, mint
    keys = LocalKeys.ensure(directory)
    token = mint(keys, sub="auth0|abc", scope="read:images")

Needs the Python package `cryptography` (scripts/setup installs it) for RSA; everything else
is the standard library.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .paths import REPO_ROOT

DEFAULT_DIR = REPO_ROOT / ".tools" / "local-auth"
# Shaped like an Auth0 tenant's issuer and an API identifier (docs/api.md), but local-only names.
DEFAULT_ISSUER = "https://imagecat.local/"
DEFAULT_AUDIENCE = "https://imagecat.local/api"
DEFAULT_SUB = "auth0|local-user"
KEY_FILE = "private-key.pem"
JWKS_FILE = "jwks.json"
KEY_BITS = 2048


def _crypto():
    """The `cryptography` modules, with a clear message when the package is missing."""
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
    except ImportError as error:  # pragma: no cover - depends on the machine
        raise SystemExit("mint_token: the Python package 'cryptography' is missing: "
                         "run scripts/setup (or pip install cryptography)") from error
    return hashes, serialization, padding, rsa


def b64url(data: bytes) -> str:
    """Base64url without padding, as JOSE uses it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint_bytes(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def public_jwk(public_key) -> dict[str, str]:
    """The RSA public key as a JWK, `kid` = RFC 7638 SHA-256 thumbprint."""
    numbers = public_key.public_numbers()
    e, n = b64url(_uint_bytes(numbers.e)), b64url(_uint_bytes(numbers.n))
    canonical = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"), sort_keys=True)
    kid = b64url(hashlib.sha256(canonical.encode()).digest())
    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e}


def _write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@dataclass
class LocalKeys:
    """A local signing key and the JWKS that publishes its public half."""

    directory: Path
    private_key: Any
    jwk: dict[str, str]

    @property
    def kid(self) -> str:
        return self.jwk["kid"]

    @property
    def jwks_path(self) -> Path:
        return self.directory / JWKS_FILE

    @property
    def jwks(self) -> dict:
        return {"keys": [self.jwk]}

    @classmethod
    def ensure(cls, directory: Path | str = DEFAULT_DIR) -> "LocalKeys":
        """Loads the key in `directory`, creating key and JWKS first when missing.

        Safe when several processes start at once: the key file is created exclusively (the
        first writer wins, the others load its key) and jwks.json is always derived from it.
        """
        _, serialization, _, rsa = _crypto()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        key_path = directory / KEY_FILE
        if not key_path.exists():
            key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".key.")
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(pem)
                try:
                    os.link(tmp, key_path)  # fails if another process got there first
                except FileExistsError:
                    pass
            finally:
                os.unlink(tmp)
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < KEY_BITS:
            raise SystemExit(f"mint_token: {key_path} is not an RSA key of at least {KEY_BITS} bits")
        keys = cls(directory, key, public_jwk(key.public_key()))
        text = (json.dumps(keys.jwks, indent=2) + "\n").encode()
        if not keys.jwks_path.exists() or keys.jwks_path.read_bytes() != text:
            _write_atomically(keys.jwks_path, text)
        return keys


def sign_rs256(private_key, signing_input: bytes) -> bytes:
    hashes, _, padding, _ = _crypto()
    return private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())


def encode_jwt(header: dict, claims: dict, private_key=None) -> str:
    """`header.claims.signature`; RS256-signed with `private_key`, or with an empty signature
    when `private_key` is None (for `alg: none` test tokens)."""
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
                     + b64url(json.dumps(claims, separators=(",", ":")).encode()))
    signature = sign_rs256(private_key, signing_input.encode("ascii")) if private_key is not None else b""
    return signing_input + "." + b64url(signature)


def mint(keys: LocalKeys, *, sub: str | None = DEFAULT_SUB, audience: str | list[str] = DEFAULT_AUDIENCE,
         issuer: str = DEFAULT_ISSUER, scope: str | None = None, expires_in: int = 3600,
         kid: str | None = None, not_before: int | None = None, extra: dict | None = None,
         now: int | None = None) -> str:
    """An RS256 access token signed by `keys`. `expires_in` may be negative (already expired);
    `kid` overrides the header's key id (to claim another key); `sub=None` leaves it out."""
    issued = int(time.time()) if now is None else now
    claims: dict[str, Any] = {"iss": issuer}
    if sub is not None:
        claims["sub"] = sub
    claims.update({"aud": audience, "iat": issued, "exp": issued + expires_in})
    if not_before is not None:
        claims["nbf"] = not_before
    if scope:
        claims["scope"] = scope
    claims.update(extra or {})
    header = {"alg": "RS256", "typ": "JWT", "kid": kid if kid is not None else keys.kid}
    return encode_jwt(header, claims, keys.private_key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/mint-token", description="Mint an RS256 access token for the local API.")
    parser.add_argument("--sub", default=DEFAULT_SUB, help=f"subject (default {DEFAULT_SUB})")
    parser.add_argument("--aud", default=DEFAULT_AUDIENCE, help=f"audience (default {DEFAULT_AUDIENCE})")
    parser.add_argument("--iss", default=DEFAULT_ISSUER, help=f"issuer (default {DEFAULT_ISSUER})")
    parser.add_argument("--scope", default=None, help="space-separated scopes, e.g. 'read:images'")
    parser.add_argument("--expires-in", type=int, default=3600,
                        help="seconds until expiry; negative for an expired token (default 3600)")
    parser.add_argument("--kid", default=None, help="key id to put in the header (default: the key's own)")
    parser.add_argument("--dir", default=str(DEFAULT_DIR), help="key directory (default .tools/local-auth)")
    parser.add_argument("--print-jwks-path", action="store_true", help="print the JWKS path and exit")
    args = parser.parse_args(argv)
    keys = LocalKeys.ensure(args.dir)
    if args.print_jwks_path:
        print(keys.jwks_path)
        return 0
    print(mint(keys, sub=args.sub, audience=args.aud, issuer=args.iss, scope=args.scope,
               expires_in=args.expires_in, kid=args.kid))
    return 0


if __name__ == "__main__":
    sys.exit(main())
