"""The cohort engine: glurpc's pipeline as Ray Data batch inference.

Layer: an optional engine beside the daemon (extra `ray`). `glurpc plot ...
--engine ray` and `glurpc forecast ... --engine ray` hand their options here.
Files are read and prepared in CPU tasks, windows are forecast by model actors
that each hold one Gluformer, images are rendered and written by CPU tasks. It
computes with the daemon's own ingest, forecaster and render code, so a window
gives the same bytes on either engine. Nothing here is imported unless the
user asks for Ray.
"""
