"""colorlib.viz.plot_history: training curves from a fit() history."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from colorlib import viz

HISTORY = [
    {"epoch": 1, "train_loss": 0.03, "val_loss": 0.020, "val_ab_l2": 16.7, "lr": 1e-3},
    {"epoch": 2, "train_loss": 0.02, "val_loss": 0.019, "val_ab_l2": 15.9, "lr": 1e-3},
    {"epoch": 3, "train_loss": 0.01, "val_loss": 0.021, "val_ab_l2": 16.1, "lr": 1e-4},
    {"epoch": 4, "train_loss": 0.01, "val_loss": 0.020, "val_ab_l2": 16.0, "lr": 1e-4},
]


def curves(ax) -> list:
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]


def test_plot_history_default_panels():
    fig = viz.plot_history(HISTORY)
    assert isinstance(fig, Figure)
    loss, ab = fig.axes
    assert [line.get_label() for line in curves(loss)] == ["Loss (train)", "Loss (validation)"]
    assert list(curves(loss)[1].get_ydata()) == [0.020, 0.019, 0.021, 0.020]
    assert list(curves(loss)[0].get_xdata()) == [1, 2, 3, 4]
    assert loss.get_title() == "Loss" and ab.get_title() == "ab L2 (Lab units, validation)"
    assert loss.get_yscale() == "linear"
    # the lr fell after epoch 2 (recorded in epoch 3's "lr"): a marker at 3.5
    assert [t.get_text() for t in ab.texts] == ["lr 0.001 -> 0.0001"]
    assert ab.texts[0].xy[0] == 3.5


def test_plot_history_options():
    fig = viz.plot_history(HISTORY, keys=["val_ab_l2", ("missing",)], log_y=True, title="t")
    (ax,) = fig.axes  # the panel with only missing keys is dropped
    assert ax.get_yscale() == "log" and fig.get_suptitle() == "t"
    one = viz.plot_history(HISTORY[:1])  # a one-epoch quick run still draws its points
    assert len(curves(one.axes[0])[0].get_xdata()) == 1 and not one.axes[0].texts
    with pytest.raises(ValueError, match="none of"):
        viz.plot_history(HISTORY, keys=["nope"])
    with pytest.raises(ValueError, match="empty"):
        viz.plot_history([])


def test_plot_history_labels_keys_in_words_and_fractions_in_percent():
    gan = [
        {"epoch": 1, "train_loss_D": 0.5, "train_loss_G_adv": 1.0, "val_psnr": 22.0,
         "val_accuracy": 0.5, "train_l1": 0.09, "val_l1": 0.1, "train_cycle": 4.0,
         "train_identity": 1.2},
        {"epoch": 2, "train_loss_D": 0.4, "train_loss_G_adv": 1.2, "val_psnr": 23.0,
         "val_accuracy": 0.75, "train_l1": 0.08, "val_l1": 0.09, "train_cycle": 3.0,
         "train_identity": 1.0},
    ]  # fmt: skip
    keys = ["train_loss_G_adv", "val_psnr", "val_accuracy", ("train_l1", "val_l1"), "train_loss_D",
            ("train_cycle", "train_identity"), ("val_psnr", "val_l1")]  # fmt: skip
    fig = viz.plot_history(gan, keys=keys, labels={"train_loss_D": "D_color + D_gray loss"})
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == [
        "Generator adversarial loss (train)",
        "PSNR (dB, validation)",
        "Top-1 accuracy (%, validation)",
        "L1 on ab / 110",
        "D_color + D_gray loss",
        "Cycle-consistency loss, Identity loss (train)",
        "PSNR (dB, validation), L1 on ab / 110 (validation)",
    ]
    assert list(curves(fig.axes[2])[0].get_ydata()) == [50.0, 75.0]  # a fraction, shown in %
    assert [line.get_label() for line in curves(fig.axes[3])] == [
        "L1 on ab / 110 (train)",
        "L1 on ab / 110 (validation)",
    ]
    for ax in fig.axes:  # no raw key is shown anywhere
        shown = [ax.get_title(), ax.get_ylabel()] + [line.get_label() for line in curves(ax)]
        assert not any("_" in text and "D_" not in text for text in shown), shown


def test_compare_histories_draws_one_line_per_run_and_the_floors():
    from colorlib.viz import compare_histories

    runs = {
        "a": [{"epoch": 1, "val_ab_l2": 20.0}, {"epoch": 2, "val_ab_l2": 18.0}],
        "b": [{"epoch": 1, "val_ab_l2": 22.0}],
        "no such key": [{"epoch": 1, "train_loss": 1.0}],
    }
    fig = compare_histories(runs, floors={"gray": 16.0})
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["a", "b", "gray"]
    assert list(ax.lines[0].get_ydata()) == [20.0, 18.0] and ax.lines[2].get_ydata()[0] == 16.0
    assert ax.get_ylabel() == "ab L2 (Lab units, validation)"
    with pytest.raises(ValueError, match="no history holds 'val_psnr'"):
        compare_histories(runs, key="val_psnr")


def test_plot_metric_bars_draws_means_with_the_truth_line():
    import torch

    from colorlib.viz import plot_metric_bars

    results = {
        "model": {"ab_l2": torch.tensor([10.0, 12.0]), "colorfulness": torch.tensor([5.0, 7.0]),
                  "colorfulness_true": torch.tensor([30.0, 34.0])},
        "gray": {"ab_l2": torch.tensor([14.0, 14.0]), "colorfulness": torch.zeros(2),
                 "colorfulness_true": torch.tensor([30.0, 34.0])},
    }  # fmt: skip
    fig = plot_metric_bars(results)
    left, right = fig.axes
    assert [bar.get_width() for bar in left.patches] == [11.0, 14.0]
    assert [bar.get_width() for bar in right.patches] == [6.0, 0.0]
    assert right.lines[-1].get_xdata()[0] == 32.0  # the truth's colourfulness
    assert [t.get_text() for t in left.get_yticklabels()] == ["model", "gray"]


def test_plot_metric_bars_puts_the_first_method_on_top():
    import torch

    from colorlib.viz import plot_metric_bars

    results = {name: {"ab_l2": torch.tensor([v, v])} for name, v in [("first", 1.0), ("last", 2.0)]}
    fig = plot_metric_bars(results, keys=("ab_l2", "ab_l2"))
    for ax in fig.axes:
        bottom, top = ax.get_ylim()
        assert bottom > top  # inverted once: y = 0 ("first") is at the top
