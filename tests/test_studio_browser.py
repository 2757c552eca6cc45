"""Muse Studio in a real browser: make a GAN sheet, send it to `style` with an uploaded painting,
make a melody and play it, set a poem to it with `song` and export that recipe, restart the
server and find it all in the history.

Needs Debian's chromium and chromium-driver (CI installs them) and selenium (the test extra);
skipped without them. With MUSE_STUDIO_SCREENSHOTS=DIR it saves the screenshots used in
docs/studio.md there (docs/images/studio-*.png).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
selenium = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
pytest.importorskip("starlette", reason="the studio needs starlette")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs chromium and chromedriver: apt-get install chromium chromium-driver")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, workspace: Path):
        self.workspace, self.port, self.proc = workspace, free_port(), None

    def start(self) -> str:
        env = {**os.environ, "MUSE_THREADS": "1", "MUSE_LOAD_PLUGINS": ""}
        self.proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "studio", "--port", str(self.port),
                                      "--workspace", str(self.workspace)], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("Muse Studio: http://127.0.0.1:"), line
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return line.split(": ", 1)[1].strip()
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the studio did not start listening")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise AssertionError("the studio did not stop on SIGTERM") from None


@pytest.fixture
def driver(tmp_path):
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required",
                 "--window-size=1400,1500", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = selenium.Chrome(service=Service(DRIVER), options=options)
    browser.set_script_timeout(60)
    yield browser
    browser.quit()


def painting(path: Path) -> Path:
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:96, 0:96]
    pixels = np.stack([(x * 2.6) % 255, (y * 1.7 + 40) % 255, ((x + y) * 4.0) % 255], -1).astype("uint8")
    Image.fromarray(pixels).save(path)
    return path


def test_make_chain_play_and_restart(driver, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    shots = os.environ.get("MUSE_STUDIO_SCREENSHOTS")
    wait = WebDriverWait(driver, 120)

    def shot(name: str) -> None:
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(Path(shots) / f"studio-{name}.png"))

    def pick(kind: str, name: str) -> None:
        driver.find_element(By.CSS_SELECTOR, f'[data-component="{kind}/{name}"]').click()
        wait.until(lambda d: d.find_element(By.ID, "form").get_attribute("data-component") == f"{kind}/{name}")

    def set_value(name: str, value: str) -> None:
        field = driver.find_element(By.ID, f"param-{name}")
        field.clear()
        field.send_keys(value)

    def cards(component: str) -> list:
        return driver.find_elements(By.CSS_SELECTOR, f'.card[data-component="{component}"]')

    def run_and_wait(component: str, before: int) -> None:
        driver.find_element(By.ID, "run").click()
        try:
            wait.until(lambda d: len(cards(component)) > before or d.find_elements(By.CSS_SELECTOR, "#queue li[data-state=failed]"))
        except Exception:
            shot("failure")
            raise AssertionError(f"no {component} work appeared; browser log: {driver.get_log('browser')}; "
                                 f"queue: {driver.find_element(By.ID, 'queue').text}") from None
        failed = driver.find_elements(By.CSS_SELECTOR, "#queue li[data-state=failed] .job-error")
        assert not failed, failed[0].text

    server = Server(tmp_path / "ws")
    url = server.start()
    try:
        driver.get(url)
        wait.until(lambda d: d.execute_script("return document.body.dataset.ready") == "1")
        # a GAN sheet
        pick("generator", "gan")
        set_value("truncation", "5")  # invalid: the CLI's message appears beside the field, nothing runs
        wait.until(lambda d: "out of range" in d.find_element(By.CSS_SELECTOR, '[data-error="truncation"]').text)
        assert driver.find_element(By.CSS_SELECTOR, '[data-error="truncation"]').text == \
            "gan: truncation=5.0 is out of range; valid: 0.0..2.0"
        shot("validation")
        set_value("truncation", "0.8")
        set_value("grid", "4")
        driver.find_element(By.ID, "seed").send_keys("7")
        run_and_wait("gan", 0)
        sheet = cards("gan")[0]
        image = sheet.find_element(By.CSS_SELECTOR, ".art figure.muse-image img")  # the shared fragment
        wait.until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image))
        assert image.value_of_css_property("image-rendering") == "pixelated"
        assert image.size["width"] >= 2 * driver.execute_script("return arguments[0].naturalWidth", image)
        shot("gan")
        # send it to style, with an uploaded painting as the style image
        Select(sheet.find_element(By.CSS_SELECTOR, "select.send")).select_by_value("stylizer/style")
        wait.until(lambda d: d.find_element(By.ID, "form").get_attribute("data-component") == "stylizer/style")
        assert Select(driver.find_element(By.CSS_SELECTOR, "[data-input='0']")).first_selected_option.get_attribute("value") \
            == sheet.get_attribute("data-work")
        upload = driver.find_element(By.CSS_SELECTOR, '[data-field="style"] input[type=file]')
        upload.send_keys(str(painting(tmp_path / "painting.png")))
        wait.until(lambda d: Select(d.find_element(By.ID, "param-style")).first_selected_option.get_attribute("value").endswith("painting.png"))
        set_value("size", "96")
        set_value("steps", "8")
        set_value("levels", "1")
        run_and_wait("style", 0)
        shot("style")
        # a melody, played
        pick("generator", "melody")
        set_value("bars", "8")
        run_and_wait("melody", 0)
        tune = cards("melody")[0]
        tune_id = tune.get_attribute("data-work")
        play = wait.until(lambda d: tune.find_element(By.CSS_SELECTOR, "button.muse-play"))
        wait.until(lambda d: play.is_displayed())  # the fragments' script unhid it
        play.click()
        audio = tune.find_element(By.TAG_NAME, "audio")
        wait.until(lambda d: d.execute_script("return arguments[0].currentTime > 0.2", audio))
        assert driver.execute_script("return arguments[0].error", audio) is None
        head = tune.find_element(By.CSS_SELECTOR, ".muse-playhead")
        wait.until(lambda d: float(head.get_attribute("x1")) > 0)  # the playhead moves over the roll
        shot("melody")
        # a poem, set to the melody with `song`, and the recipe of that chain
        pick("generator", "poem")
        Select(driver.find_element(By.ID, "param-form")).select_by_value("quatrain")
        run_and_wait("poem", 0)
        poem = cards("poem")[0]
        assert len(poem.find_element(By.CSS_SELECTOR, "pre.muse-poem").text.splitlines()) == 4
        Select(poem.find_element(By.CSS_SELECTOR, "select.send")).select_by_value("composer/song")
        wait.until(lambda d: d.find_element(By.ID, "form").get_attribute("data-component") == "composer/song")
        slots = [Select(s).first_selected_option.get_attribute("value") for s in driver.find_elements(By.CSS_SELECTOR, "[data-input]")]
        assert slots == [poem.get_attribute("data-work"), tune_id]
        run_and_wait("song", 0)
        song = cards("song")[0]
        assert song.find_element(By.CSS_SELECTOR, ".muse-lyrics").text
        recipe = driver.execute_async_script(
            "const done = arguments[1]; fetch(arguments[0].href).then(r => r.text()).then(done);",
            song.find_element(By.CSS_SELECTOR, "a.recipe"))
        assert 'compose = "song"' in recipe and 'generate = "poem"' in recipe and 'generate = "melody"' in recipe
        driver.execute_script("arguments[0].scrollIntoView()", song)
        shot("song")
        # train the gan on a few uploaded images (a dry run), and its model becomes a choice
        pick("generator", "gan")
        driver.find_element(By.CSS_SELECTOR, "#train-panel summary").click()
        driver.find_element(By.ID, "train-dataset-name").send_keys("my drawings")
        import zipfile

        with zipfile.ZipFile(tmp_path / "drawings.zip", "w") as archive:  # an archive, unpacked by the server
            for index in range(16):
                archive.write(painting(tmp_path / f"drawing{index}.png"), f"drawings/drawing{index}.png")
            archive.writestr("drawings/README.txt", "my drawings")
        driver.find_element(By.ID, "train-files").send_keys(str(tmp_path / "drawings.zip"))
        wait.until(lambda d: d.execute_script("return document.getElementById('train-data').value") == "datasets/my-drawings")
        assert driver.find_element(By.ID, "train-added").text == "my-drawings: added 17 file(s); 17 in all"  # (the README too: text)
        for name, value in (("batch_size", "8"), ("sample_every", "1")):
            field = driver.find_element(By.ID, f"train-{name}")
            field.clear()
            field.send_keys(value)
        driver.find_element(By.ID, "train-dry").click()
        driver.find_element(By.ID, "train-run").click()
        try:
            wait.until(lambda d: d.find_element(By.ID, "train-result").text not in ("",) and
                       not d.find_element(By.ID, "train-result").text.startswith("training"))
        except Exception:
            shot("failure")
            errors = [n.text for n in driver.find_elements(By.CSS_SELECTOR, "[data-train-error]") if n.text]
            raise AssertionError(f"training did not finish: {errors}; queue: {driver.find_element(By.ID, 'queue').text}") from None
        assert driver.find_element(By.ID, "train-result").text.startswith("done: model=models/gan-"), \
            driver.find_element(By.ID, "train-result").text
        assert driver.find_element(By.ID, "param-model").get_attribute("value").startswith("models/gan-")
        previews = driver.find_elements(By.CSS_SELECTOR, "#train-previews img")  # the samples the run wrote, on the page
        assert previews and all(driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", p) for p in previews)
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", driver.find_element(By.ID, "train-result"))
        shot("train")
        console = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert console == [], console
        made = sorted(card.get_attribute("data-work") for card in driver.find_elements(By.CSS_SELECTOR, ".card"))
        assert len(made) == 6  # the sheet, the painting upload, the stylized sheet, the melody, the poem, the song
    finally:
        server.stop()
    # a new server on the same workspace finds everything
    server = Server(tmp_path / "ws")
    url = server.start()
    try:
        driver.get(url)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".card")) == 6)
        assert sorted(card.get_attribute("data-work") for card in driver.find_elements(By.CSS_SELECTOR, ".card")) == made
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".card .muse-work")) == 6)  # every work shown again
        shot("history")
    finally:
        server.stop()
