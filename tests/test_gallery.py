"""The demo gallery in a real browser: every image decodes, every audio file plays, no errors.

Needs Debian's chromium and chromium-driver (CI installs them; `.ci/run` says how) and the
selenium package from the test extra; without them the test is skipped with that reason.
"""

import functools
import http.server
import shutil
import threading

import pytest
import soundfile

from engine import Engine
from engine.demo import run_demo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
selenium = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs chromium and chromedriver: apt-get install chromium chromium-driver")

CHECK = """
const done = arguments[arguments.length - 1];
const audios = [...document.querySelectorAll('audio')];
const ready = a => a.readyState >= 1 ? Promise.resolve() : new Promise(resolve => {
  a.addEventListener('loadedmetadata', resolve); a.addEventListener('error', resolve); a.load(); });
Promise.all([...audios.map(ready), ...[...document.images].map(i => i.decode().catch(() => null))]).then(() => done({
  images: [...document.images].map(i => [i.getAttribute('src'), i.naturalWidth]),
  audios: audios.map(a => [a.getAttribute('src'), a.duration, a.error ? a.error.code : 0]),
}));
"""


@pytest.fixture
def gallery(tmp_path, test_plugin):
    import muse_testplugin
    import plugins.renderers.plugin as renderers

    extra = []
    try:
        import plugins.synth.plugin as synth  # scores get audio when the synthesizer is there

        extra.append(synth)
    except ImportError:
        pass
    eng = Engine(plugins=[muse_testplugin, renderers, *extra])
    run_demo(eng, tmp_path / "demo", seed=3, force=False, echo=lambda line: None)
    return tmp_path / "demo"


@pytest.fixture
def served(gallery):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(gallery))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()


def test_gallery_shows_and_plays_everything(gallery, served, tmp_path):
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = selenium.Chrome(service=Service(DRIVER), options=options)
    try:
        driver.set_script_timeout(30)
        driver.get(served)
        report = driver.execute_async_script(CHECK)
        console = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    finally:
        driver.quit()
    assert report["images"], "the gallery shows no images"
    for src, width in report["images"]:
        assert width > 0, f"{src} did not decode"
    on_disk = sorted(p.name for p in gallery.iterdir() if p.suffix in (".wav", ".flac", ".ogg"))
    assert sorted(src for src, *_ in report["audios"]) == on_disk
    for src, duration, error in report["audios"]:
        assert error == 0, f"{src} failed to load (MediaError {error})"
        assert duration == pytest.approx(soundfile.info(str(gallery / src)).duration, abs=0.05)
    assert console == []


def chinese_page(tmp_path):
    from engine.demo import Exhibit, gallery_html
    from engine.works import Text

    poem = Text(["床前明月光", "疑是地上霜", "舉頭望明月", "低頭思故鄉"], title="靜夜思", language="zh")
    page = tmp_path / "index.html"
    page.write_text(gallery_html([Exhibit("poem jueju5", poem, [], 0.1)], tmp_path), encoding="utf-8")
    return page.as_uri()


@pytest.mark.parametrize("fonts", ["system", "no CJK font"])
def test_a_chinese_poem_says_when_the_browser_has_no_cjk_font(tmp_path, fonts):
    """With a CJK font the poem shows in it and no note; without one (fontconfig limited to
    DejaVu) the characters fall back to the browser's own boxes and the note asks for a font."""
    import os
    import subprocess

    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    env = {}
    if fonts == "system":
        listed = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout if shutil.which("fc-list") else ""
        if not listed.strip():
            pytest.skip("no CJK font installed (fonts-noto-cjk)")
    else:
        if not os.path.isdir("/usr/share/fonts/truetype/dejavu"):
            pytest.skip("needs fonts-dejavu for a font set without CJK")
        config = tmp_path / "fonts.conf"
        config.write_text('<?xml version="1.0"?><fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir>'
                          f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>")
        env = {"FONTCONFIG_FILE": str(config)}
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = selenium.Chrome(service=Service(DRIVER, env={**os.environ, **env}), options=options)
    try:
        driver.get(chinese_page(tmp_path))
        hidden = driver.execute_script("return document.querySelector('.muse-text .muse-font-note').hidden")
        text = driver.find_element("css selector", ".muse-poem").text
    finally:
        driver.quit()
    assert text.splitlines()[0] == "床前明月光"
    assert hidden is (fonts == "system")
