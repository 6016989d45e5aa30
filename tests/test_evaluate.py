"""colorlib.evaluate: predictions, per-image metrics, baselines, the summary table."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch
from torch.utils.data import Dataset

from colorlib import evaluate, methods, metrics, records
from colorlib.lab import rgb_to_lab, split_lab


class PhotoSet(Dataset):
    """The scikit-image photos as dataset items (L, ab, rgb, label)."""

    def __init__(self, rgb: torch.Tensor) -> None:
        self.rgb = rgb
        self.L, self.ab = split_lab(rgb_to_lab(rgb))

    def __len__(self) -> int:
        return len(self.rgb)

    def __getitem__(self, i: int) -> dict:
        return {"L": self.L[i], "ab": self.ab[i], "rgb": self.rgb[i], "label": i}


@pytest.fixture(scope="module")
def photos(photos32) -> PhotoSet:
    return PhotoSet(photos32)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    colorizer = methods.build("regression", 32).colorizer()
    colorizer.image_size = 32
    return colorizer


def test_predict_shapes_ranges_and_mode(model, photos):
    model.train()
    pred = evaluate.predict(model, photos, batch_size=3)  # two batches, one partial
    n = len(photos)
    assert pred["L"].shape == (n, 1, 32, 32)
    for key in ("ab_true", "ab_pred"):
        assert pred[key].shape == (n, 2, 32, 32) and pred[key].dtype == torch.float32
    for key in ("rgb_true", "rgb_pred"):
        assert pred[key].shape == (n, 3, 32, 32)
        assert pred[key].min() >= 0 and pred[key].max() <= 1
    assert pred["label"].tolist() == [0, 1, 2, 3]
    torch.testing.assert_close(pred["ab_true"], photos.ab)
    # the true ab rebuilt into RGB is the photo again (up to Lab round trip)
    torch.testing.assert_close(pred["rgb_true"], photos.rgb, atol=2e-3, rtol=0)
    assert model.training  # the module's mode is given back
    with torch.no_grad():
        expected = model.eval()(photos.L)
    torch.testing.assert_close(pred["ab_pred"], expected)
    assert len(evaluate.predict(model, photos, limit=2)["L"]) == 2


def test_predict_refuses_another_image_size(model, photos64):
    with pytest.raises(ValueError, match="trained on 32x32.*size 32"):
        evaluate.predict(model, PhotoSet(photos64))


def test_perfect_prediction_scores_perfectly(photos):
    def oracle(L: torch.Tensor) -> torch.Tensor:  # knows the photos' true ab
        return photos.ab.clone()

    pred = evaluate.predict(oracle, photos, batch_size=len(photos))
    scores = evaluate.evaluate(pred)
    assert list(scores) == list(evaluate.METRICS)
    for values in scores.values():
        assert values.shape == (len(photos),) and values.dtype == torch.float64
    assert torch.equal(scores["ab_l2"], torch.zeros(4, dtype=torch.float64))
    assert torch.equal(scores["ab_l2_squared"], torch.zeros(4, dtype=torch.float64))
    assert torch.equal(scores["auc"], torch.ones(4, dtype=torch.float64))
    assert torch.equal(scores["psnr"], torch.full((4,), evaluate.PSNR_MAX_DB, dtype=torch.float64))
    torch.testing.assert_close(scores["ssim"], torch.ones(4, dtype=torch.float64))
    torch.testing.assert_close(scores["colorfulness"], scores["colorfulness_true"])


def test_baselines(model, photos):
    mean = torch.tensor([1.5, 6.0])
    pred = evaluate.predict(model, photos)
    from_pred = evaluate.baselines(pred, mean)
    from_data = evaluate.baselines(photos, mean, batch_size=3)
    assert list(from_pred) == ["gray guess", "mean colouring"]
    for name in from_pred:
        for key in ("L", "ab_true", "ab_pred", "rgb_true", "rgb_pred", "label"):
            torch.testing.assert_close(from_pred[name][key], from_data[name][key])
    gray, mean_guess = from_pred["gray guess"], from_pred["mean colouring"]
    assert torch.equal(gray["ab_pred"], torch.zeros_like(photos.ab))
    assert torch.equal(mean_guess["ab_pred"][:, :, 5, 7], mean.expand(4, 2))
    gray_scores = evaluate.evaluate(gray)
    torch.testing.assert_close(
        gray_scores["ab_l2"], metrics.ab_l2(torch.zeros_like(photos.ab), photos.ab)
    )
    assert torch.all(gray_scores["colorfulness"] < 0.01)  # gray has no colour (float rounding)
    assert list(evaluate.baselines(pred, None)) == ["gray guess"]


def test_mean_ab(photos):
    expected = photos.ab.double().mean(dim=(0, 2, 3)).float()
    torch.testing.assert_close(evaluate.mean_ab(photos, batch_size=3), expected)
    torch.testing.assert_close(
        evaluate.mean_ab(photos, limit=1), photos.ab[0].double().mean(dim=(1, 2)).float()
    )


def test_summary_table():
    results = {
        "SeedCNN": {
            "ab_l2": torch.tensor([10.0, 12.0], dtype=torch.float64),
            "ab_l2_squared": torch.tensor([150.0, 160.0], dtype=torch.float64),
            "auc": torch.tensor([0.9, 0.8], dtype=torch.float64),
            "psnr": torch.tensor([30.0, 100.0], dtype=torch.float64),
            "ssim": torch.tensor([0.95, 0.9], dtype=torch.float64),
            "colorfulness": torch.tensor([-0.0001, 0.0], dtype=torch.float64),
            "colorfulness_true": torch.tensor([20.0, 30.0], dtype=torch.float64),
        },
        "gray guess": {"ab_l2": torch.tensor([14.123, 14.127], dtype=torch.float64)},
    }
    table = evaluate.summary_table(results)
    lines = table.splitlines()
    header = ["ab", "L2", "squared", "AuC", "%", "PSNR", "dB", "SSIM", "colourful"]
    assert lines[0].split() == header
    assert lines[1].split() == ["SeedCNN", "11.00", "155.0", "85.00", "65.00", "0.925", "0.00"]
    assert lines[2].split() == ["gray", "guess", "14.12", "-", "-", "-", "-", "-"]
    assert lines[3].split() == ["ground", "truth", "-", "-", "-", "-", "-", "25.00"]
    assert "means over 2 images" in lines[4]
    assert len({len(line) for line in lines[:4]}) == 1  # fixed width
    bare = evaluate.summary_table(results, digits=1, legend=False).splitlines()
    assert len(bare) == 4 and bare[1].split()[1:4] == ["11.0", "155", "85.0"]
    with pytest.raises(ValueError):
        evaluate.summary_table({})


def test_load_history(tmp_path, monkeypatch):
    history = [{"epoch": 1, "train_loss": 0.02, "val_loss": 0.03, "val_ab_l2": 12.0}]
    run = tmp_path / "runs" / "quick" / "cifar10-seedcnn-l2"
    run.mkdir(parents=True)
    (run / "history.json").write_text(json.dumps(history))
    loaded = records.load_history("cifar10-seedcnn-l2", "quick", True, runs=tmp_path / "runs")
    assert loaded == history
    monkeypatch.setattr(records, "RESULTS", tmp_path / "results")
    with pytest.raises(FileNotFoundError, match="cifar10-seedcnn-l2.json"):
        records.load_history("cifar10-seedcnn-l2")
    (tmp_path / "results").mkdir()
    record = {"experiment": {"name": "cifar10-seedcnn-l2"}, "history": history}
    (tmp_path / "results" / "cifar10-seedcnn-l2.json").write_text(json.dumps(record))
    assert records.load_history("cifar10-seedcnn-l2") == history


def test_paired_difference_verdicts():
    from colorlib.evaluate import paired_difference

    base = torch.linspace(10, 20, 50, dtype=torch.float64)
    noise = torch.sin(torch.arange(50.0)).double() * 0.1
    mean, margin, verdict = paired_difference(base - 1 + noise, base)
    assert abs(mean + 1) < 0.05 and 0 < margin < 0.1 and verdict == "better"
    assert paired_difference(base + 1 + noise, base)[2] == "worse"
    assert paired_difference(base + noise, base)[2] == "tie"
    assert paired_difference(base + 1 + noise, base, lower_is_better=False)[2] == "better"
    with pytest.raises(ValueError, match="two \\(N,\\) tensors"):
        paired_difference(base, base[:10])


def test_check_beats_gray_names_the_losers():
    from colorlib.evaluate import check_beats_gray

    def scores(value):
        return {"ab_l2": torch.full((4,), value, dtype=torch.float64)}

    check_beats_gray({"good": scores(9.0), "gray guess": scores(10.0)})
    with pytest.raises(ValueError, match=r"gray guess's 10.00: bad \(10.50\), equal \(10.00\)"):
        check_beats_gray(
            {"good": scores(9.0), "bad": scores(10.5), "equal": scores(10.0),
             "gray guess": scores(10.0)}
        )  # fmt: skip
    with pytest.raises(ValueError, match="no 'gray guess' entry"):
        check_beats_gray({"good": scores(9.0)})


def test_sample_spread_sees_noise_and_dropout_but_not_a_fixed_net():
    from colorlib.evaluate import sample_spread
    from colorlib.models import UNetGenerator

    L = torch.rand(3, 1, 32, 32) * 100
    torch.manual_seed(0)
    fixed = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.Dropout(0.5)).eval()
    assert torch.all(sample_spread(fixed, L) == 0)  # eval mode: no randomness
    assert torch.all(sample_spread(fixed, L, dropout=True) > 0)
    assert not fixed[1].training  # put back as found

    class Noisy(torch.nn.Module):  # ab = 10 * noise: spread sqrt(2) * 10 per pixel
        def forward(self, L):
            return 10 * torch.randn(L.shape[0], 2, *L.shape[-2:])

    spread = sample_spread(Noisy(), L, samples=400)
    assert torch.allclose(spread, torch.full((3,), 200**0.5, dtype=torch.float64), rtol=0.05)
    generator = UNetGenerator(32, base_width=8, noise_channels=1)
    state = torch.random.get_rng_state()
    sample_spread(generator, L, samples=2)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global RNG is restored
    with pytest.raises(ValueError, match="samples must be >= 2"):
        sample_spread(fixed, L, samples=1)


def test_predict_resize_runs_a_colorizer_at_its_own_size():
    from colorlib.colorizer import predict_ab
    from colorlib.evaluate import predict

    class Fixed(torch.nn.Module):  # ab = L / 10 everywhere, at 64 px only
        image_size = 64

        def forward(self, L):
            assert L.shape[-1] == 64
            return torch.cat([L, -L], dim=1) / 10

    photos = [{"L": torch.full((1, 32, 32), 50.0), "ab": torch.zeros(2, 32, 32), "label": 0}] * 3
    with pytest.raises(ValueError, match="trained on 64x64"):
        predict(Fixed(), photos)
    pred = predict(Fixed(), photos, resize=True)
    assert pred["ab_pred"].shape == (3, 2, 32, 32)
    # the path colorize takes, colorlib.colorizer.predict_ab
    assert torch.equal(pred["ab_pred"], predict_ab(Fixed(), torch.full((3, 1, 32, 32), 50.0)))
    assert torch.allclose(pred["ab_pred"][:, 0], torch.full((3, 32, 32), 5.0))
    assert torch.equal(pred["L"], torch.full((3, 1, 32, 32), 50.0))  # the photos' own L


def test_bootstrap_by_class_and_rebalanced_auc():
    from colorlib.evaluate import bootstrap_ci, by_class, rebalanced_auc
    from colorlib.gamut import ABGamut

    values = torch.arange(100, dtype=torch.float64)
    mean, low, high = bootstrap_ci(values)
    assert mean == 49.5 and 42 < low < 49.5 < high < 57  # about +- 2 standard errors (5.8)
    labels = torch.tensor([0, 1] * 50)
    assert by_class(values, labels, ["even", "odd", "absent"]) == {"even": 49.0, "odd": 50.0}
    gamut = ABGamut()
    true = torch.zeros(2, 2, 4, 4)
    true[1, 0] = 60.0  # image 0 all grey, image 1 all vivid
    pred = {"ab_true": true, "ab_pred": torch.zeros_like(true)}
    prior = gamut.prior(true)
    raw = metrics.ab_auc(pred["ab_pred"], true).double()
    assert torch.allclose(rebalanced_auc(pred, prior), raw)  # one bin per image: same
    mixed = torch.zeros_like(true)  # image 1 all grey: grey is the common colour
    mixed[0, 0, :2] = 60.0  # image 0: half vivid, half grey pixels
    pred = {"ab_true": mixed, "ab_pred": torch.zeros_like(mixed)}
    prior = gamut.prior(mixed, sigma=0)
    # grey pixels are common (prior high), vivid ones rarer: rebalancing lowers image 0's AuC
    assert rebalanced_auc(pred, prior)[0] < metrics.ab_auc(pred["ab_pred"], mixed)[0]


def test_accuracy_on_a_dataset_and_on_colorized_images():
    from colorlib.evaluate import accuracy

    class ReddestWins(torch.nn.Module):  # class 0 if red > blue else 1
        def forward(self, rgb):
            score = rgb[:, 0].mean(dim=(1, 2)) - rgb[:, 2].mean(dim=(1, 2))
            return torch.stack([score, -score], dim=1)

    rgb = torch.zeros(4, 3, 2, 2)
    rgb[:2, 0] = 1.0  # red photos, label 0
    rgb[2:, 2] = 1.0  # blue photos, label 1
    labels = torch.tensor([0, 0, 1, 0])  # the last one is mislabelled
    assert accuracy(ReddestWins(), rgb, labels) == 0.75
    items = [{"rgb": rgb[i], "label": int(labels[i])} for i in range(4)]
    assert accuracy(ReddestWins(), items, batch_size=3) == 0.75
    with pytest.raises(ValueError, match="needs labels"):
        accuracy(ReddestWins(), rgb)


def test_temperature_sweep_decodes_one_forward_pass_at_every_t():
    from colorlib.colorizer import Colorizer
    from colorlib.evaluate import temperature_sweep
    from colorlib.gamut import ABGamut
    from colorlib.models import ZhangNet

    gamut = ABGamut()
    torch.manual_seed(0)
    model = Colorizer(ZhangNet(width=0.125, bins=gamut.Q), gamut=gamut, T=0.38).eval()
    photos = [{"L": torch.rand(1, 16, 16) * 100, "ab": torch.zeros(2, 16, 16), "label": i}
              for i in range(3)]  # fmt: skip
    sweep = temperature_sweep(model, photos, [0.0, 0.38, 1.0])
    assert set(sweep) == {0.0, 0.38, 1.0} and model.T == 0.38
    L = torch.stack([p["L"] for p in photos])
    with torch.no_grad():
        assert torch.allclose(sweep[0.38]["ab_pred"], model(L), atol=1e-5)
        at_mean = Colorizer(model.network, gamut=gamut, T=1.0).eval()
        assert torch.allclose(sweep[1.0]["ab_pred"], at_mean(L), atol=1e-5)
    # the mode (T = 0) is at least as colourful as the mean (T = 1)
    spread = {T: p["ab_pred"].norm(dim=1).mean() for T, p in sweep.items()}
    assert spread[0.0] >= spread[1.0]
    with pytest.raises(ValueError, match="decodes no bins"):
        temperature_sweep(torch.nn.Identity(), photos, [0.0])


def test_pooled_rebalanced_auc_is_every_pixel_of_the_set_counted_together(photos64):
    """Zhang et al.'s Table 1 pools every pixel of the test set: the per-image AuCs
    weighted by each image's total rebalancing weight give exactly that number, the
    AuC of the whole set laid out as one tall image with the same pixel weights."""
    from colorlib.gamut import ABGamut

    gamut = ABGamut()
    _, ab_true = split_lab(rgb_to_lab(photos64))
    ab_pred = 0.5 * ab_true + torch.tensor([4.0, -3.0]).view(1, 2, 1, 1)
    pred = {"ab_pred": ab_pred, "ab_true": ab_true}
    prior = gamut.prior(ab_true[:2])  # some bins of the other photos go unseen
    per_image = evaluate.rebalanced_auc(pred, prior)
    weights = evaluate.rebalanced_weight(ab_true, prior)
    assert weights.shape == (4,) and (weights > 0).all() and weights.dtype == torch.float64
    pooled = evaluate.pooled_mean(per_image, weights)

    def tall(ab):  # (N, 2, H, W) -> (1, 2, N * H, W)
        return ab.permute(1, 0, 2, 3).reshape(1, 2, -1, ab.shape[-1])

    floor = prior[prior > 0].min()
    pixel = (1.0 / prior.clamp_min(floor))[gamut.nearest(ab_true)]
    whole = metrics.ab_auc(tall(ab_pred), tall(ab_true), pixel_weights=pixel.reshape(1, -1, 64))
    assert pooled == pytest.approx(float(whole[0]), abs=1e-6)
    assert pooled != pytest.approx(float(per_image.mean()), abs=1e-4)  # not the same number


def test_pooled_paired_difference_weights_images():
    from colorlib.evaluate import paired_difference, word_difference

    ours, theirs = torch.tensor([1.0, 2.0, 3.0, 10.0]), torch.zeros(4)
    plain = paired_difference(ours, theirs)
    assert paired_difference(ours, theirs, weights=torch.ones(4))[:2] == pytest.approx(plain[:2])
    mean, _, _ = paired_difference(ours, theirs, weights=torch.tensor([1.0, 1.0, 1.0, 5.0]))
    assert mean == pytest.approx((1 + 2 + 3 + 50) / 8)
    with pytest.raises(ValueError, match="weights must be"):
        paired_difference(ours, theirs, weights=torch.tensor([1.0, -1.0, 1.0, 1.0]))
    sentence = word_difference("A", "B", ours, theirs, lower_is_better=False,
                               weights=torch.ones(4))  # fmt: skip
    assert "pooled over 4 photos" in sentence


def _scores(auc, auc_rebalanced, psnr, colourfulness, n=40, seed=0):
    """Per-image scores with these means (and a little per-image noise)."""
    g = torch.Generator().manual_seed(seed)

    def around(value):
        return value + 0.01 * torch.randn(n, generator=g, dtype=torch.float64)

    return {"auc": around(auc), "auc_rebalanced": around(auc_rebalanced), "psnr": around(psnr),
            "colorfulness": around(colourfulness), "colorfulness_true": around(40.0)}  # fmt: skip


def test_quality_goal_picks_the_best_vivid_model_and_words_the_verdict():
    scores = {
        "gray": _scores(0.80, 0.50, 23.0, 0.0),
        "dull": _scores(0.82, 0.70, 24.0, 5.0),  # the best AuC, but not vivid
        "vivid": _scores(0.795, 0.57, 22.2, 30.0),  # +7 points: met
        "garish": _scores(0.70, 0.60, 20.0, 60.0),  # raw AuC and PSNR too low
    }
    weights = torch.ones(40)
    report = evaluate.quality_goal(scores, "gray", weights, ["dull", "vivid", "garish"])
    assert report.best == "vivid" and report.met and report.gain == pytest.approx(7.0, abs=0.1)
    text = str(report)
    assert "dull" in text and "no (colour)" in text and "no (AuC, PSNR)" in text
    assert "quality goal met: vivid gains +7.0 points" in text
    assert "pooled over 40 photos" in text
    scores["vivid"] = _scores(0.795, 0.53, 22.2, 30.0)  # +3 points: not met
    report = evaluate.quality_goal(scores, "gray", weights, ["dull", "vivid"])
    assert not report.met and "quality goal NOT met: vivid gains +3.0" in str(report)
    report = evaluate.quality_goal(scores, "gray", weights, ["dull"])
    assert report.best is None and not report.met and "no candidate is vivid" in str(report)


def _evidence(shift: float, expect: str, seeds: tuple | None = None) -> evaluate.Evidence:
    """``a`` = ``b`` + shift (plus noise) on 400 photos; seed means as given."""
    gen = torch.Generator().manual_seed(3)
    b = 16 + torch.randn(400, generator=gen, dtype=torch.float64)
    a = b + shift + 0.1 * torch.randn(400, generator=gen, dtype=torch.float64)
    seeds_a, seeds_b = (None, None) if seeds is None else (torch.tensor(seeds[0]),
                                                          torch.tensor(seeds[1]))
    return evaluate.Evidence("A", "B", a, b, expect, seeds_a=seeds_a, seeds_b=seeds_b)


def test_claim_verdict_holds_does_not_hold_or_not_detectable():
    assert evaluate.claim_verdict("A worse", [_evidence(0.5, "higher")])[0] == "holds"
    assert evaluate.claim_verdict("A better", [_evidence(0.5, "lower")])[0] == "does not hold"
    assert evaluate.claim_verdict("A worse", [_evidence(0.0, "higher")])[0] == "not detectable"
    # clear on the photos (0.5 +- 0.01) but within twice the seed spread (sd 0.3): no verdict
    noisy = _evidence(0.5, "higher", seeds=((16.0, 16.6, 16.3), (15.7, 16.2, 16.0)))
    verdict, lines = evaluate.claim_verdict("A worse", [noisy])
    assert verdict == "not detectable" and "seed sd of the difference" in lines[1]
    steady = _evidence(0.5, "higher", seeds=((16.50, 16.52, 16.51), (16.0, 16.01, 16.02)))
    assert evaluate.claim_verdict("A worse", [steady])[0] == "holds"
    # a claim of two parts: one part against it decides; all parts for it are needed
    both = [_evidence(0.5, "higher"), _evidence(0.0, "higher")]
    assert evaluate.claim_verdict("both worse", both)[0] == "not detectable"
    mixed = [_evidence(0.5, "higher"), _evidence(-0.5, "higher")]
    verdict, lines = evaluate.claim_verdict("both worse", mixed)
    assert verdict == "does not hold" and lines[0] == "'both worse': DOES NOT HOLD"
    assert len(lines) == 3 and lines[1].endswith("holds") and lines[2].endswith("does not hold")


def test_claim_verdict_refuses_bad_evidence():
    with pytest.raises(ValueError, match="no evidence"):
        evaluate.claim_verdict("empty", [])
    with pytest.raises(ValueError, match="'lower' or 'higher'"):
        evaluate.claim_verdict("bad", [_evidence(0.5, "worse")])
    one_side = _evidence(0.5, "higher", seeds=((16.0, 16.6, 16.3), (15.7, 16.2, 16.0)))
    one_side = dataclasses.replace(one_side, seeds_b=None)  # e.g. against the gray guess
    verdict, lines = evaluate.claim_verdict("A worse", [one_side])
    assert verdict == "not detectable" and "(3 seeds of A)" in lines[1]
    verdict, lines = evaluate.claim_verdict("A worse", [_evidence(0.5, "higher")])
    assert "no seed spread known" in lines[1]
    with pytest.raises(ValueError, match="at least 2 seeds"):
        evaluate.claim_verdict("bad", [_evidence(0.5, "higher", seeds=((1.0,), (2.0, 3.0)))])
