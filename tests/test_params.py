from pathlib import Path

import pytest

from engine import Param, ParamError, UnknownName
from engine.params import parse_assignments, resolve

DECLARED = (
    Param("bars", int, 8, "bars", min=1, max=64),
    Param("temperature", float, 1.0, "heat", min=0.0, max=5.0),
    Param("meter", str, "4/4", "meter", choices=("4/4", "3/4", "6/8")),
    Param("tonic", bool, False, "end on tonic"),
    Param("primer", Path, None, "primer file"),
)


def test_strings_from_the_cli_become_declared_types():
    values = resolve(DECLARED, {"bars": "16", "temperature": "0.5", "tonic": "yes", "primer": "a.mid"}, "melody")
    assert values == {"bars": 16, "temperature": 0.5, "meter": "4/4", "tonic": True, "primer": Path("a.mid")}


def test_defaults_fill_missing_values():
    assert resolve(DECLARED, {}, "melody")["bars"] == 8


@pytest.mark.parametrize(
    "given, message",
    [
        ({"bars": "0"}, "melody: bars=0 is out of range; valid: 1..64"),
        ({"bars": "eight"}, "melody: bars='eight' is not an integer; valid: 1..64"),
        ({"bars": 2.5}, "bars=2.5 is not an integer"),
        ({"temperature": "nan"}, "is not a number"),
        ({"meter": "5/4"}, "choose one of 4/4, 3/4, 6/8"),
        ({"tonic": "maybe"}, "is not true or false"),
    ],
)
def test_bad_values_say_the_valid_range(given, message):
    with pytest.raises(ParamError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        resolve(DECLARED, given, "melody")


def test_unknown_parameter_lists_valid_names():
    with pytest.raises(UnknownName) as caught:
        resolve(DECLARED, {"bar": 3}, "melody")
    assert "'bar'" in str(caught.value) and "bars, meter, primer, temperature, tonic" in str(caught.value)


def test_assignments_need_an_equals_sign():
    assert parse_assignments(["a=1", "b-c=x=y"]) == {"a": "1", "b_c": "x=y"}
    with pytest.raises(ParamError, match="expected key=value"):
        parse_assignments(["oops"])


def test_declared_default_must_itself_be_valid():
    with pytest.raises(ParamError):
        Param("n", int, 0, "n", min=1)


@pytest.mark.parametrize("given, message", [
    ({"primer": 3}, "melody: primer=3 is not a path (primer file)"),
    ({"primer": ["a.mid"]}, "primer=['a.mid'] is not a path"),
    ({"meter": True}, "meter=True is not text"),
    ({"meter": {"a": 1}}, "meter={'a': 1} is not text"),
])
def test_wrong_typed_paths_and_text_are_param_errors(given, message):
    with pytest.raises(ParamError) as caught:
        resolve(DECLARED, given, "melody")
    assert message in str(caught.value)


def test_paths_and_numbers_are_fine_as_text_and_paths():
    values = resolve((Param("label", str, None, "name or index"), Param("font", Path, None, "a font")),
                     {"label": 3, "font": Path("~/f.ttf")}, "x")
    assert values["label"] == "3" and values["font"] == Path("~/f.ttf").expanduser()
    assert resolve((Param("model", str, "", "checkpoint"),), {"model": Path("m.safetensors")}, "x")["model"] == "m.safetensors"


def test_the_vae_refuses_a_number_as_its_start_image():
    from engine.testing import make_engine

    with pytest.raises(ParamError, match="vae: start=3 is not a path"):
        make_engine("plugins.vae.plugin").generate("vae", start=3, end=3, interpolate=4)
