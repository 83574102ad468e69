"""Ofsted inspection reports of children's services: their titles, places and inspection
dates, and their grades as a kind of thing a sentence holds and a question asks for."""

from assistant.packs.ofsted.grades import entity_kinds, verdicts, wants
from assistant.packs.ofsted.metadata import read_metadata

__all__ = ["entity_kinds", "read_metadata", "verdicts", "wants"]
