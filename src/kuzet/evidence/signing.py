"""Ed25519 signing key for evidence manifests: created once, kept with 0600 permissions.

The key id is the first 16 hex digits of SHA-256 over the 32 raw public-key bytes, so anyone
holding ``public_key.pem`` can recompute it (``openssl pkey -pubin -in public_key.pem -outform DER``
gives a 12-byte SubjectPublicKeyInfo prefix followed by the raw key; see docs/evidence-format.md).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kuzet.errors import EvidenceError

PRIVATE_KEY_FILE = "evidence-ed25519.key"
PUBLIC_KEY_FILE = "evidence-ed25519.pub.pem"


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key_pem(data: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as e:
        raise EvidenceError(f"not a PEM public key: {e}") from e
    if not isinstance(key, Ed25519PublicKey):
        raise EvidenceError("public key is not Ed25519")
    return key


def verify_signature(public_key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


class Signer:
    """Holds the private key; ``sign`` gives a detached 64-byte Ed25519 signature."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id_of(self.public_key)

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load_or_create(cls, keys_dir: Path) -> Signer:
        """Load the key from ``keys_dir`` or create it there (directory 0700, key file 0600)."""
        keys_dir = Path(keys_dir)
        path = keys_dir / PRIVATE_KEY_FILE
        if path.exists():
            mode = path.stat().st_mode & 0o777
            if mode & 0o077:
                # A key others can read cannot vouch for anything; refuse rather than sign with it.
                raise EvidenceError(f"signing key {path} has permissions {oct(mode)}; expected 0600", path=path)
            try:
                key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            except ValueError as e:
                raise EvidenceError(f"cannot read signing key {path}: {e}", path=path) from e
            if not isinstance(key, Ed25519PrivateKey):
                raise EvidenceError(f"signing key {path} is not Ed25519", path=path)
            return cls(key)
        keys_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(keys_dir, 0o700)
        signer = cls.generate()
        pem = signer._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # O_EXCL: two processes starting at once must not overwrite each other's fresh key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return cls.load_or_create(keys_dir)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        (keys_dir / PUBLIC_KEY_FILE).write_bytes(signer.public_key_pem())
        return signer

    def public_key_pem(self) -> bytes:
        return self.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)
