"""The two profiles every experiment and the batch run know, the precisions a training
run can use, and the regression losses, named once (no torch here: the CLI builds its
options from them, and ``python -m colorlib --help`` starts without importing torch).

- ``"quick"``: minutes on a laptop CPU, on a subset of the data: for CI, for a first
  run of the notebooks, and for trying things;
- ``"full"``: the study's settings, the runs whose weights ship in
  ``data/checkpoints/`` (hours; a GPU for the ImageNet half).

:class:`colorlib.experiments.Experiment` gives its epochs and photo limit per profile;
``python -m colorlib reproduce --profile`` passes the profile to every notebook.
"""

PROFILES = ("quick", "full")
"""The profile names, the cheap one first."""

REGRESSION_LOSSES = ("l2", "smooth_l1", "l1")
"""The per-element regression losses by name (:func:`colorlib.losses.regression_loss`)."""

SMOOTH_L1_BETA = 1.0 / 110.0
"""Smooth L1's knee for the study: 1 Lab unit (PyTorch's default beta = 1, had the poster
trained on raw Lab ab), in the networks' ab / 110 units (``colorlib.lab.AB_SCALE``). With
beta = 1 on ab / 110 the loss would be 0.5 * MSE for every real error, and "Smooth L1 vs
L2" an empty comparison."""

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
"""What ``fit(precision=...)`` and ``train --precision`` accept; ``"auto"`` is resolved
by :func:`colorlib.devices.resolve_precision`."""
