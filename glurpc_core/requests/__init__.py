"""The rules for request arguments, shared by the daemon's ops and the Ray engine:
argument types (`args.py`), which windows a request names (`selection.py`), plot
styles (`styles.py`) and the wire encoding of forecasts (`wire.py`)."""
