"""Training stops and restarts as documented: the shared parameters and schedule, Ctrl-C, dry runs
that leave nothing to resume, runs that can be extended, and training data that is refused (or
read) clearly instead of crashing the run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine import BadInput, Engine, MuseError, TrainJob

X_ROWS = 64


def toy_run(out: Path, total, *, dry_run=False, interrupt_at=None, config=None, schedule=None):
    """A linear regression through the real Trainer: 4 batches of 16 per epoch."""
    import torch

    from engine.training import Trainer, shuffled_batches

    x = torch.linspace(-1, 1, X_ROWS).unsqueeze(1)
    y = 3 * x + 0.5
    torch.manual_seed(0)
    model = torch.nn.Linear(1, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    job = TrainJob(data=None, out=out, params={}, dry_run=dry_run, progress=False)
    trainer = Trainer(job, model="toy", config=config or {"hidden": 1}, modules={"net": model},
                      optimizers={"adam": optimizer}, total_batches=total, steps_per_epoch=4, checkpoint_every=100,
                      schedule=schedule)
    rates = []

    def step(index):
        rates.append(optimizer.param_groups[0]["lr"])
        loss = torch.nn.functional.mse_loss(model(x[index]), y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if interrupt_at is not None and trainer.step + 1 == interrupt_at:
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C sends
        return {"loss": loss.item(), "n": len(index)}

    summary = trainer.fit(lambda epoch: shuffled_batches(X_ROWS, 16, 0, epoch), step)
    return model, summary, rates


# -- A. one declaration, one schedule, counters named for what they count ----------------------
def test_shared_training_parameters_are_declared_once():
    from engine.training_params import COMMON

    engine = Engine()
    trainable = [c for c in engine.components() if c.trainable]
    assert {"gan", "vae", "classifier", "melody", "poem", "style"} <= {c.name for c in trainable}
    for component in trainable:
        for param in component.train_params:
            if param.name in COMMON:
                shared = COMMON[param.name]
                assert (param.type, param.help, param.min, param.max) == \
                    (shared.type, shared.help, shared.min, shared.max), f"{component.name}.{param.name} drifted"
        names = {p.name for p in component.train_params}
        assert not {"epochs", "steps"} <= names, component.name
        if type(component).__module__.startswith("plugins."):
            assert {"batch_size", "lr", "checkpoint_every"} <= names, component.name


def test_common_train_params_refuses_a_model_parameter():
    from engine.training_params import common_train_params

    with pytest.raises(TypeError, match="not shared training parameters: latent"):
        common_train_params(epochs=2, latent=3)


def test_the_kit_schedule_warms_up_then_decays_to_its_floor(tmp_path):
    from engine.training import WarmupCosine

    schedule = WarmupCosine(warmup=4, floor=0.1)
    assert [schedule.factor(s, 20) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert schedule.factor(20, 20) == pytest.approx(0.1) and schedule.factor(12, 20) == pytest.approx(0.55)
    _, _, rates = toy_run(tmp_path / "s.safetensors", 8, schedule=WarmupCosine(warmup=2))
    assert rates[:2] == pytest.approx([0.005, 0.01]) and rates[-1] < 0.001


def test_trainer_counts_batches_and_optimizer_steps_by_their_names(tmp_path):
    from engine.training import optimizer_steps

    _, summary, _ = toy_run(tmp_path / "c.safetensors", 6)
    assert summary["step"] == 6
    assert optimizer_steps(10, 4, 1) == 10 and optimizer_steps(8, 4, 2) == 4 and optimizer_steps(10, 5, 2) == 4  # 2 per epoch; the odd batch is skipped
    assert not hasattr(TrainJob(None, tmp_path, {}), "extra") and not hasattr(TrainJob(None, tmp_path, {}), "samples_dir")


# -- B. Ctrl-C, dry runs, longer runs ------------------------------------------------------------
def test_ctrl_c_saves_a_checkpoint_and_a_rerun_continues_exactly(tmp_path):
    import torch

    from engine.training import TrainingInterrupted, read_metadata, resume_path

    straight, _, _ = toy_run(tmp_path / "a.safetensors", 10)
    out = tmp_path / "b.safetensors"
    with pytest.raises(TrainingInterrupted) as stopped:
        toy_run(out, 10, interrupt_at=3)
    assert stopped.value.summary["step"] == 3 and isinstance(stopped.value, KeyboardInterrupt)
    assert read_metadata(out)["info"]["step"] == 3 and resume_path(out).is_file()
    resumed, summary, _ = toy_run(out, 10)
    assert summary["step"] == 10
    assert all(torch.equal(a, b) for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()))


def test_ctrl_c_during_muse_train_exits_130_with_a_checkpoint(tmp_path):
    (tmp_path / "corpus.txt").write_text("the quick brown fox jumps over the lazy dog\n" * 40)
    env = {**os.environ, "MUSE_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "train", "poem", "--data", "corpus.txt", "--out", "p.safetensors",
         "--steps", "1000000", "--hidden", "8", "--embed", "4", "--layers", "1", "--seq-len", "8",
         "--batch-size", "2", "--sample-every", "0"],
        cwd=tmp_path, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        seen = ""
        while "train poem" not in seen:  # the progress bar appears once the Ctrl-C handler is set
            line = process.stderr.readline()
            assert line, f"muse train ended early: {seen}"
            seen += line
        os.kill(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, seen + err
    assert "saved p.safetensors at step" in err and "Traceback" not in err
    from engine.training import read_metadata

    assert read_metadata(tmp_path / "p.safetensors")["info"]["step"] >= 1
    assert (tmp_path / "p.resume.safetensors").is_file()


def test_a_dry_run_leaves_nothing_a_real_run_resumes(tmp_path, capsys):
    from engine.checkpoints import is_dry_run_checkpoint
    from engine.training import resume_path

    out = tmp_path / "d.safetensors"
    _, dry, _ = toy_run(out, 10, dry_run=True)
    assert dry["step"] == 2 and is_dry_run_checkpoint(out) and not resume_path(out).exists()
    Engine.check_train_output(out, resume=True, force=False)  # a real run may replace it
    _, real, _ = toy_run(out, 10)
    assert real["step"] == 10 and not is_dry_run_checkpoint(out)
    assert "dry run's checkpoint: starting afresh" in capsys.readouterr().err


def test_a_dry_run_never_replaces_a_real_checkpoint(tmp_path):
    from engine.training import read_metadata

    out = tmp_path / "r.safetensors"
    toy_run(out, 6)
    before = out.read_bytes()
    with pytest.raises(MuseError, match="a dry run never replaces one"):
        Engine.check_train_output(out, resume=True, force=True, dry_run=True)
    with pytest.raises(BadInput, match="a dry run never replaces one"):
        toy_run(out, 6, dry_run=True)
    assert out.read_bytes() == before and read_metadata(out)["info"]["step"] == 6


def test_a_resumed_run_can_be_made_longer(tmp_path):
    _, first, _ = toy_run(tmp_path / "e.safetensors", 4, config={"hidden": 1, "epochs": 1})
    _, longer, _ = toy_run(tmp_path / "e.safetensors", 8, config={"hidden": 1, "epochs": 2})
    assert (first["step"], longer["step"], longer["epoch"]) == (4, 8, 2)


def test_melody_training_can_be_extended(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from test_melody import folk_tune, write_tune

    data = tmp_path / "tunes"
    data.mkdir()
    for i in range(6):
        write_tune(data / f"t{i}.mid", folk_tune(i, bars=2))
    options = dict(data=data, out=tmp_path / "m.safetensors", progress=False, hidden=8, layers=1, batch_size=4,
                   window=16, sample_every=0)
    first = Engine().train("melody", epochs=1, **options)
    longer = Engine().train("melody", epochs=3, **options)
    assert longer["step"] == 3 * first["step"]


# -- C. training data that used to crash a run, and work that never ended ------------------------
def test_a_corpus_of_one_tune_trains_with_nothing_held_out(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from test_melody import folk_tune, write_tune

    (tmp_path / "one").mkdir()
    write_tune(tmp_path / "one" / "a.mid", folk_tune(0, bars=2))
    summary = Engine().train("melody", data=tmp_path / "one", out=tmp_path / "m.safetensors", dry_run=True,
                             progress=False, hidden=8, layers=1, window=16)
    assert summary["train_tunes"] == 1 and summary["held_out_tunes"] == 0 and summary["step"] >= 1


def _png_bomb(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_a_decompression_bomb_in_an_image_folder_is_skipped_with_a_note(tmp_path, capsys):
    from PIL import Image as PILImage

    from plugins.imagekit.data import load_folder

    folder = tmp_path / "pics"
    folder.mkdir()
    for i in range(3):
        PILImage.new("L", (8, 8), 40 * i).save(folder / f"ok{i}.png")
    (folder / "bomb.png").write_bytes(_png_bomb(60_000, 60_000))  # over Pillow's own limit
    (folder / "big.png").write_bytes(_png_bomb(12_000, 12_000))  # under Pillow's, over Muse's
    data = load_folder(folder, 8, 1)
    err = capsys.readouterr().err
    assert len(data) == 3
    assert "skipped bomb.png: a decompression bomb" in err and "skipped big.png: a 12000x12000 image" in err


def test_an_idx_file_is_checked_against_its_header_before_it_is_inflated(tmp_path):
    import gzip
    import struct

    from plugins.imagekit.data import IDX_IMAGES_MAGIC, read_idx

    huge = tmp_path / "huge-images-idx3-ubyte.gz"
    huge.write_bytes(gzip.compress(struct.pack(">IIII", IDX_IMAGES_MAGIC, 3_000_000, 28, 28) + bytes(64)))
    with pytest.raises(BadInput, match="over the 1024 MiB limit"):
        read_idx(huge, IDX_IMAGES_MAGIC)
    liar = tmp_path / "liar-images-idx3-ubyte.gz"  # the header promises 8 bytes; it inflates to 16 MB
    liar.write_bytes(gzip.compress(struct.pack(">IIII", IDX_IMAGES_MAGIC, 2, 2, 2) + bytes(16 << 20)))
    with pytest.raises(BadInput, match="holds more than the 8 bytes its header promises"):
        read_idx(liar, IDX_IMAGES_MAGIC)


@pytest.mark.parametrize("model", ["melody", "poem", "gan"])
def test_a_device_or_a_fifo_as_data_is_one_clear_line(muse, in_tmp, model):
    os.mkfifo(in_tmp / "fifo")
    for data, kind in (("/dev/zero", "is a device"), ("fifo", "is a FIFO")):
        result = muse("train", model, "--data", data, "--out", "m.safetensors", "--dry-run")
        assert result.code == 1 and kind in result.err and len(result.err.strip().splitlines()) == 1, result.err
    assert sorted(p.name for p in in_tmp.iterdir()) == ["fifo"]


def test_melody_requests_that_would_search_for_minutes_are_refused_at_once(muse, in_tmp):
    result = muse("generate", "melody", "-p", "bars=256", "-p", "beam=16", "-n", "3", "-o", "t.mid")
    assert result.code == 1 and "bars=256 with beam=16" in result.err and "a bug" not in result.err
    assert not list(in_tmp.iterdir())
    from plugins.melody.plugin import MAX_BAR_BEAMS, check_budget

    check_budget(256, MAX_BAR_BEAMS // 256)  # the longest plain melody still runs


def test_a_poem_prime_is_bounded_when_parameters_resolve(muse, in_tmp):
    result = muse("generate", "poem", "-p", "prime=" + "x" * 130, "-o", "p.txt")
    assert result.code == 1 and "prime has 130 characters" in result.err and "a bug" not in result.err
