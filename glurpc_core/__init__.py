"""The compute core shared by the daemon (glurpcd) and the cohort engine (glurpc_ray).

Ingestion (`ingest/`), series and windows (`series.py`), the model and
forecaster (`model/`), rendering (`render/`), the rules for request arguments
(`requests/`) and the error tree (`errors.py`). Plain functions and data: no
asyncio, no sockets, and nothing from `glurpcd` or `glurpc_cli`; errors carry
an `ErrorCode` from the wire package's vocabulary.
"""
