"""The two profiles every experiment and the batch run know, and the precisions a
training run can use, named once (no torch here: the CLI builds its options from them).

- ``"quick"``: minutes on a laptop CPU, on a subset of the data: for CI, for a first
  run of the notebooks, and for trying things;
- ``"full"``: the study's settings, the runs whose weights ship in
  ``data/checkpoints/`` (hours; a GPU for the ImageNet half).

:class:`colorlib.experiments.Experiment` gives its epochs and photo limit per profile;
``python -m colorlib reproduce --profile`` passes the profile to every notebook.
"""

PROFILES = ("quick", "full")
"""The profile names, the cheap one first."""

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
"""What ``fit(precision=...)`` and ``train --precision`` accept; ``"auto"`` is resolved
by :func:`colorlib.devices.resolve_precision`."""
