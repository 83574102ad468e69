"""The browser chat: `python app.py` (or `make run`), then open http://127.0.0.1:7860.

The port comes from GRADIO_SERVER_PORT (default 7860); the UI lives in assistant/web.py.
"""

import logging
import os

from assistant.web import build, launch, warm_up

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    warm_up()
    launch(build(), port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
