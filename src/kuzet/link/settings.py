"""Thresholds of linking, from ``KUZET_LINK_*`` environment variables (defaults measured on the sandbox).

The defaults and the distances they were chosen from are in ``kuzet.link`` (package docstring).
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LinkSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KUZET_LINK_", extra="ignore")

    # Sum of the link weights between two resources for them to be in one network.
    network_threshold: float = Field(default=1.0, gt=0)
    # Estimated Jaccard similarity of word 5-gram shingles for two texts to be near-duplicates.
    text_jaccard: float = Field(default=0.6, ge=0.0, le=1.0)
    # Texts with fewer shingles are not sketched for mirror search (too little to compare).
    text_min_shingles: int = Field(default=40, ge=1)
    # Hamming distances (bits) for two images to be the same picture: pHash of 64, PDQ of 256 bits.
    image_phash_max: int = Field(default=10, ge=0, le=64)
    image_pdq_max: int = Field(default=70, ge=0, le=256)
