"""The release check: it fails a model that clips, tints or falls below bicubic, and one whose card says
other numbers than its file gives; the shipped models pass it (CI runs the check itself on each)."""

import numpy as np
import pytest
from PIL import Image

from srgan_helpers import named_models
from srgan_helpers.inference import release_check
from srgan_helpers.named_models import cli as named_models_cli


class Upscaler:
    """A stand-in generator: Pillow bicubic x4 of its [-1, 1] input, then `damage` on the uint8 result."""

    def __init__(self, damage=None):
        self.damage = damage or (lambda img: img)

    def __call__(self, batch, training=False):
        out = []
        for lr in np.asarray(batch):
            img = Image.fromarray(np.clip(np.round((lr + 1) * 127.5), 0, 255).astype(np.uint8))
            sr = np.asarray(self.damage(img.resize((img.width * 4, img.height * 4), Image.Resampling.BICUBIC)))
            out.append(sr.astype(np.float32) / 127.5 - 1)
        return np.stack(out)

    def predict_on_batch(self, batch):  # (how the package runs a Keras model: one compiled call)
        return self(batch)


def test_tones_pass_for_a_faithful_upscaler_and_fail_where_one_clips_highlights():
    faithful = release_check.check_tones(Upscaler(), 4, 4)
    assert faithful.passed and faithful.numbers["margin"] == 4 - max(v for k, v in faithful.numbers.items()
                                                                    if k not in ("margin", "limit"))
    clipped = Upscaler(lambda img: Image.fromarray(np.where(np.asarray(img) > 220, 255, np.asarray(img)).astype(
        np.uint8)))
    finding = release_check.check_tones(clipped, 4, 4)
    assert not finding.passed and "clips or tints" in finding.line
    assert finding.numbers["gray"] == 255 - 221 and finding.numbers["ramp gray 150-255"] > 4


def test_tones_fail_on_a_tint_of_five_levels_and_pass_it_under_a_gan_models_limit():
    tint = Upscaler(lambda img: Image.fromarray(np.clip(np.asarray(img).astype(int) + (5, 0, 0), 0, 255).astype(
        np.uint8)))
    assert not release_check.check_tones(tint, 4, release_check.TONE_TOLERANCE["psnr"]).passed
    assert release_check.check_tones(tint, 4, release_check.TONE_TOLERANCE["gan"]).passed


def test_above_bicubic_names_the_worst_image_of_a_model_that_blurs():
    from conftest import shared_data

    sets = {"Set5": shared_data("Set5")}
    same, results = release_check.check_above_bicubic(Upscaler(), sets, 4)
    assert same.passed and abs(same.numbers["worst_margin_db"]) < 1e-9 and results["Set5"]["n_images"] == 5
    blur = Upscaler(lambda img: img.filter(__import__("PIL.ImageFilter").ImageFilter.GaussianBlur(1)))
    finding, _ = release_check.check_above_bicubic(blur, sets, 4)
    assert not finding.passed and finding.numbers["below"] == 5
    assert finding.line.startswith("above bicubic: 0 of 5 images") and "worst Set5/" in finding.line


def test_card_check_fails_when_a_stated_score_is_not_what_the_file_gives():
    stated = {"metrics": {"Set5": {"psnr": 30.0, "ssim": 0.9, "bicubic_psnr": 28.0}}}
    measured = {"Set5": {"mean": {"sr_psnr": 30.004, "sr_ssim": 0.9001, "bicubic_psnr": 28.0}}}
    finding = release_check.check_card(stated, measured)
    assert finding.passed and finding.numbers["margin"] == pytest.approx(0.6)  # 0.004 dB of 0.01 used
    assert "largest difference 40% of its tolerance" in finding.line
    measured["Set5"]["mean"]["sr_psnr"] = 30.05
    finding = release_check.check_card(stated, measured)
    assert not finding.passed and "Set5 psnr: card 30.0000, measured 30.0500" in finding.line


def test_a_gan_model_is_held_to_the_srgan_papers_psnr_on_each_set():
    measured = {"Set5": {"mean": {"sr_psnr": 29.5}}, "Set14": {"mean": {"sr_psnr": 26.1}},
                "faces_test": {"mean": {"sr_psnr": 20.0}}}  # a set the paper has no number for is not held
    finding = release_check.check_psnr_floor(measured)
    assert finding.passed and finding.line == "PSNR floor (SRGAN paper): Set5 29.50, Set14 26.10 dB, margin +0.08 dB"
    assert finding.numbers["margin"] == pytest.approx(0.08)  # the closest set (Set14) to its floor
    measured["Set14"]["mean"]["sr_psnr"] = 25.9
    finding = release_check.check_psnr_floor(measured)
    assert not finding.passed and finding.line == "below the SRGAN paper's PSNR: Set14 25.90 dB < 26.02"
    assert not release_check.check_psnr_floor({"faces_test": {"mean": {"sr_psnr": 30.0}}}).passed  # nothing held


def test_check_command_refuses_an_unknown_name_and_a_missing_data_folder_in_one_line(tmp_path, capsys):
    assert named_models_cli.main(["check", "srresnet-x5"]) == 2
    assert "no model named 'srresnet-x5'" in capsys.readouterr().err
    assert named_models_cli.main(["check", "srresnet-x4", "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Set5, Set14 not found under" in err and "--data" in err
    with pytest.MonkeyPatch.context() as patch:  # refused before any checking process starts
        patch.setattr(named_models_cli, "_checked", lambda *args: pytest.fail("a checking process started"))
        assert named_models_cli.main(["check", "srresnet-x4", "srgan-x4", "--data", str(tmp_path), "--jobs", "2"]) == 2
    assert capsys.readouterr().err.strip() == err
    # a checking process (spawned: --jobs 2) that finds the data gone says the same line
    line = err.removeprefix("error: ")
    assert named_models_cli._checked(["srresnet-x4", "srgan-x4"], str(tmp_path), False, 2) == [line] * 2


def test_the_issues_gray_ramp_comes_back_within_four_levels_from_srresnet_x4():
    """The 150..255 gray ramp (32x64) that the first srresnet-x4 whitened from ~220 up."""
    from srgan_helpers.inference import load_generator

    ramp = release_check.ramps()["gray 150-255"]
    deviation = release_check.tone_deviation(load_generator("srresnet-x4"), ramp[None],
                                             release_check.bicubic_upscale(ramp, 4)[None])
    assert deviation[0] <= 4


@pytest.mark.parametrize("name", named_models.shipped())
def test_every_shipped_card_records_a_passed_full_release_check(name):
    recorded = named_models.card(name).get("release_check")
    assert recorded and recorded["passed"] and recorded["full"], f"{name}: run `named_models check {name} --full`"
    assert set(recorded["parts"]) >= {"tones", "card"}


def test_card_check_compares_niqe_where_the_card_states_it():
    stated = {"metrics": {"Set5": {"psnr": 30.0, "ssim": 0.9, "bicubic_psnr": 28.0, "niqe": 5.0}}}
    measured = {"Set5": {"mean": {"sr_psnr": 30.0, "sr_ssim": 0.9, "bicubic_psnr": 28.0, "sr_niqe": 5.004}}}
    assert release_check.check_card(stated, measured).passed
    measured["Set5"]["mean"]["sr_niqe"] = 5.2
    assert "Set5 niqe: card 5.0000, measured 5.2000" in release_check.check_card(stated, measured).line
    del measured["Set5"]["mean"]["sr_niqe"]  # stated but not measured: a failure, never a silent pass
    assert not release_check.check_card(stated, measured).passed


def test_a_full_check_writes_the_card_only_when_asked_on_the_packages_own_data(tmp_path, capsys, monkeypatch):
    """`check --full --data <other>` once rewrote the shipped card with `passed: false`; now only `--record`
    writes, only for the data the card was measured on, only into a writable package (else one line, at once)."""
    import json
    import shutil

    weights = tmp_path / "weights"
    shutil.copytree(named_models.WEIGHTS_DIR, weights)
    monkeypatch.setattr(named_models, "WEIGHTS_DIR", weights)
    card = weights / "srresnet-x4.json"
    before = card.read_bytes()
    finding = release_check.Finding("tones", False, "tones: worst 9 levels off", {"margin": -5})
    monkeypatch.setattr(named_models_cli, "_checked", lambda names, *a: [[finding] for _ in names])
    own = str(named_models_cli.DEFAULT_DATA)
    assert named_models_cli.main(["check", "srresnet-x4", "--full", "--data", own]) == 1  # no --record: printed only
    assert card.read_bytes() == before and "FAIL tones: worst 9 levels off" in capsys.readouterr().out
    refusals = ((["--record"], "add --full"), (["--full", "--record", "--data", str(tmp_path)], "another folder"))
    for argv, why in refusals:
        assert named_models_cli.main(["check", "srresnet-x4", *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and why in err and card.read_bytes() == before
    stale = weights / ".srresnet-x4.json.00000000-999999999.abcd.tmp"
    stale.write_text("half a card")  # not this host's: kept; a dead writer of this host's is swept
    from srgan_helpers.fileio import host_tag

    ours = weights / f".srresnet-x4.json.{host_tag()}-{subprocess_pid()}.abcd1234.tmp"
    ours.write_text("half a card")
    assert named_models_cli.main(["check", "srresnet-x4", "--full", "--record", "--data", own]) == 1
    recorded = json.loads(card.read_text())["release_check"]
    assert not recorded["passed"] and recorded["parts"]["tones"]["margin"] == -5
    assert stale.exists() and not ours.exists()
    capsys.readouterr()
    monkeypatch.setattr(named_models_cli.os, "access", lambda path, mode: False)  # an installed, read-only package
    assert named_models_cli.main(["check", "srresnet-x4", "--full", "--record", "--data", own]) == 2
    assert "read-only" in capsys.readouterr().err


def subprocess_pid() -> int:
    """The pid of a process that has ended."""
    import subprocess
    import sys

    return int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout)


def test_the_quick_check_leaves_a_psnr_models_niqe_to_the_full_one():
    stated = {"metrics": {"Set5": {"psnr": 30.0, "niqe": 5.0}}}
    measured = {"Set5": {"mean": {"sr_psnr": 30.0}}}  # NIQE not measured
    assert release_check.check_card(stated, measured, niqe_checked=set()).passed
    assert not release_check.check_card(stated, measured, niqe_checked={"Set5"}).passed  # asked for, missing


def test_models_checked_together_share_bicubic_s_scores_and_the_prepared_faces_with_the_same_findings(
        tmp_path, monkeypatch):
    """One command checking several models measures bicubic's and HR's scores, and prepares the LFW faces,
    once for all of them (the GAN model first: its NIQE serves the PSNR model too); each model's findings are
    what checking it alone gives. Stand-ins for the models (Pillow bicubic, a GAN one tinted) and a small
    data folder: Set5, two Set14 images, two LFW people."""
    import shutil

    from conftest import shared_data

    from srgan_helpers import evaluate, inference

    data = tmp_path / "data"
    shutil.copytree(shared_data("Set5"), data / "Set5")
    for sub in ("HR", "LR_bicubic_x4"):
        (data / "Set14" / sub).mkdir(parents=True)
        for image in ("comic.png", "ppt3.png"):
            shutil.copyfile(shared_data("Set14") / sub / image, data / "Set14" / sub / image)
    for person in ("Ariel_Sharon", "Colin_Powell"):
        (data / "faces_lfw" / person).mkdir(parents=True)
        shutil.copyfile(next((shared_data("faces_lfw") / person).iterdir()), data / "faces_lfw" / person / "1.jpg")
    models = {"srgan-x4-faces": Upscaler(lambda img: Image.fromarray(np.clip(np.asarray(img).astype(int) + 3, 0,
                                                                             255).astype(np.uint8))),
              "srresnet-x4": Upscaler()}
    monkeypatch.setattr(inference, "load_generator", lambda name: models[name])
    bicubic, prepared = [], []
    original_bicubic, original_lfw = evaluate.bicubic_upscale, release_check.lfw_faces
    monkeypatch.setattr(evaluate, "bicubic_upscale", lambda *a: bicubic.append(1) or original_bicubic(*a))
    monkeypatch.setattr(release_check, "lfw_faces", lambda *a: prepared.append(1) or original_lfw(*a))
    together = named_models_cli._checked(list(models), str(data), False, 1)
    assert len(bicubic) == 5 + 2 + 2 and len(prepared) == 1  # every image once, the faces prepared once
    alone = [named_models_cli._checked([name], str(data), False, 1)[0] for name in models]
    assert len(bicubic) == 9 + 2 * 9 and len(prepared) == 1 + 2  # alone: each model measures all 9 itself
    for mine, theirs in zip(together, alone):
        assert [(f.part, f.passed, f.line, f.numbers) for f in mine] == \
               [(f.part, f.passed, f.line, f.numbers) for f in theirs]
    assert not list(tmp_path.glob("**/srgan-release-*")) and "faces_lfw" in together[1][-1].numbers["measured"]
