"""The eval harness: `python -m evals` (see evals/README.md)."""
