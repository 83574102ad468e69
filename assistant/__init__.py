"""Question answering over a document collection, every sentence cited to its paragraph.

    from assistant import ask
    a = ask("Who led the 2024 inspection?")
    print(a.answer); a.to_dict()
"""

from assistant.pipeline import ask
from assistant.types import Answer, Citation

__all__ = ["ask", "Answer", "Citation"]
