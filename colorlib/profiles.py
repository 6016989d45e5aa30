"""The two profiles every experiment and the batch run know, named once.

- ``"quick"``: minutes on a laptop CPU, on a subset of the data: for CI, for a first
  run of the notebooks, and for trying things;
- ``"full"``: the study's settings, the runs whose weights ship in
  ``data/checkpoints/`` (hours; a GPU for the ImageNet half).

:class:`colorlib.experiments.Experiment` gives its epochs and photo limit per profile;
``python -m colorlib reproduce --profile`` passes the profile to every notebook.
"""

PROFILES = ("quick", "full")
"""The profile names, the cheap one first."""
