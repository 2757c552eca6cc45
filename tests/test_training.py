"""The shared training kit: checkpoints refuse the wrong thing, and resuming loses nothing."""

import pytest
import torch

from engine import BadInput, TrainJob
from engine.training import Trainer, load_checkpoint, load_module, resume_path, save_checkpoint, shuffled_batches

X = torch.linspace(-1, 1, 64).unsqueeze(1)
Y = 3 * X + 0.5


def run(tmp_path, total_batches, resume=True, seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Dropout(0.1), torch.nn.Linear(8, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    job = TrainJob(data=None, out=tmp_path / "toy.safetensors", params={}, seed=seed, resume=resume, progress=False)
    trainer = Trainer(job, model="toy", config={"hidden": 8}, modules={"net": model}, optimizers={"adam": optimizer},
                      total_batches=total_batches, steps_per_epoch=4, checkpoint_every=3)

    def step(index):
        loss = torch.nn.functional.mse_loss(model(X[index]), Y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return {"loss": loss.item(), "n": len(index)}

    summary = trainer.fit(lambda epoch: shuffled_batches(64, 16, seed, epoch), step)
    return model, summary


def test_resumed_training_matches_uninterrupted_training(tmp_path):
    straight, _ = run(tmp_path / "a", total_batches=10)
    run(tmp_path / "b", total_batches=6)  # stops mid-epoch (4 steps per epoch)
    resumed, summary = run(tmp_path / "b", total_batches=10)
    assert summary["step"] == 10 and summary["epoch"] == 2
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)


def test_checkpoint_carries_config_and_refuses_mismatches(tmp_path):
    _, summary = run(tmp_path, total_batches=4)
    checkpoint = load_checkpoint(summary["out"], model="toy", config={"hidden": 8})
    assert checkpoint.info["step"] == 4 and len(checkpoint.sha256) == 64
    assert set(checkpoint.state_dict("net")) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    with pytest.raises(BadInput, match="is a 'toy' checkpoint, not a 'gan' one"):
        load_checkpoint(summary["out"], model="gan")
    with pytest.raises(BadInput, match=r"checkpoint config does not match: hidden=8 \(need 16\)"):
        load_checkpoint(summary["out"], model="toy", config={"hidden": 16})
    with pytest.raises(BadInput, match="weights do not fit the net network"):
        load_module(torch.nn.Sequential(torch.nn.Linear(1, 4)), checkpoint, "net")
    assert resume_path(tmp_path / "toy.safetensors").name == "toy.resume.safetensors"


def test_files_that_are_not_checkpoints_are_named(tmp_path):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00" * 64)
    with pytest.raises(BadInput, match="junk.safetensors: not a safetensors checkpoint"):
        load_checkpoint(junk, model="toy")
    plain = save_checkpoint(tmp_path / "plain.safetensors", {"w": torch.zeros(2)}, model="toy", config={})
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(2)}, str(plain))
    with pytest.raises(BadInput, match="not a Muse checkpoint"):
        load_checkpoint(plain, model="toy")
    with pytest.raises(BadInput, match="no such checkpoint"):
        load_checkpoint(tmp_path / "gone.safetensors", model="toy")


def test_dry_run_stops_after_two_steps(tmp_path):
    model = torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    job = TrainJob(data=None, out=tmp_path / "d.safetensors", params={}, dry_run=True, progress=False)
    trainer = Trainer(job, model="toy", config={}, modules={"net": model}, optimizers={"sgd": optimizer},
                      total_batches=1000, steps_per_epoch=4)
    summary = trainer.fit(lambda epoch: shuffled_batches(64, 16, 0, epoch),
                          lambda index: {"loss": 0.0})
    assert summary["step"] == 2 and (tmp_path / "d.safetensors").exists()


def test_data_smaller_than_a_batch_is_a_clear_error(tmp_path):
    job = TrainJob(data=None, out=tmp_path / "x.safetensors", params={}, progress=False)
    with pytest.raises(BadInput, match="smaller than one batch"):
        Trainer(job, model="toy", config={}, modules={}, optimizers={}, total_batches=5, steps_per_epoch=0)
