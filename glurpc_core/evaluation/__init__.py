"""How good a forecaster is on given data: error metrics, baselines, clinical
error grids and the report `glurpc evaluate` prints (pure compute: numpy only).

Layer: pure compute, shared by the daemon (the `evaluate` op runs it on the cpu
lane) and the training tools (glurpc_train.evaluate). No asyncio, no sockets,
no torch: it scores forecasts that somebody else made.
"""
