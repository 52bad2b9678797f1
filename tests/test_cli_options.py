"""The command line restates nothing: an estimator's options, their choices and the defaults
they show come from its parameter table, and an option left out is not passed on."""

from __future__ import annotations

import argparse

import pytest

from rnnkit.classification.parameters import CLASSIFIER
from rnnkit.cli import build_parser
from rnnkit.cli import classify as classify_command
from rnnkit.cli import forecast as forecast_command
from rnnkit.cli import pretrain as pretrain_command
from rnnkit.cli.options import given
from rnnkit.forecasting.parameters import FORECASTER
from rnnkit.language_model_parameters import LANGUAGE_MODEL

COMMANDS = {"forecast": (FORECASTER, forecast_command.OPTIONS),
            "classify": (CLASSIFIER, classify_command.OPTIONS),
            "pretrain": (LANGUAGE_MODEL, pretrain_command.OPTIONS)}


def _actions(command: str) -> dict[str, argparse.Action]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {action.dest: action for action in sub.choices[command]._actions}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_estimator_option_comes_from_its_table(command):
    table, names = COMMANDS[command]
    actions = _actions(command)
    for name in names:
        action, parameter = actions[name], table[name]
        assert action.default is None  # left out: the estimator's (or a preset's) default
        assert parameter.help.split(" (")[0] in action.help.replace("%%", "%")
        if parameter.default not in (None, False) and "(default" not in parameter.help:
            shown = (",".join(map(str, parameter.default)) or "''"
                     if isinstance(parameter.default, tuple) else
                     "on" if parameter.default is True else str(parameter.default))
            assert action.help.endswith(f"(default: {shown})"), name
        options = getattr(parameter.constraint, "inner", parameter.constraint)
        if hasattr(options, "options") and action.choices is not None:
            assert set(options.options) <= set(action.choices)


def test_a_table_parameter_a_command_leaves_out_is_left_out_on_purpose():
    # what each command takes from elsewhere (--strategy, --quiet, --out, --threads) or
    # leaves to the Python API (a checkpoint file)
    assert set(FORECASTER) - set(forecast_command.OPTIONS) == {
        "horizon", "verbose", "checkpoint", "threads", "state_dir"}
    assert set(CLASSIFIER) - set(classify_command.OPTIONS) == {
        "verbose", "checkpoint", "threads", "state_dir"}
    assert set(LANGUAGE_MODEL) - set(pretrain_command.OPTIONS) == {
        "verbose", "threads", "state_dir"}


def test_options_turn_into_the_estimators_arguments():
    parser = build_parser()
    args = parser.parse_args(["forecast", "--patience", "0", "--clip-norm", "none",
                              "--no-linear-skip", "--scaler", "none", "--units", "8,4",
                              "--lr", "0.01", "--reduce-lr", "3", "--n-jobs", "-1"])
    assert given(args, forecast_command.OPTIONS) == {
        "patience": None, "clip_norm": None, "linear_skip": False, "scaler": None,
        "units": "8,4", "learning_rate": 0.01, "reduce_lr_patience": 3, "n_jobs": -1}
    fc = forecast_command._forecaster(args)
    assert fc.epochs == FORECASTER["epochs"].default and fc.check_params()["units"] == (8, 4)
    assert fc.check_params()["n_jobs"] == -1
    args = parser.parse_args(["classify", "--data", "imdb", "--maxlen", "none",
                              "--preset", "imdb-lstm8", "--epochs", "2"])
    settings = classify_command._classify_settings(args)
    assert settings["maxlen"] is None and settings["epochs"] == 2
    assert settings["num_words"] == 500  # the preset's, not overwritten by an unset option


@pytest.mark.parametrize("argv, message", [
    (["forecast", "--epochs", "x"], "--epochs: must be an integer; got 'x'"),
    (["forecast", "--patience", "soon"], "--patience: must be an integer or none; got 'soon'"),
    (["forecast", "--scaler", "robust"], "--scaler: invalid choice: 'robust'"),
    (["forecast", "--n-jobs", "all"], "--n-jobs: must be an integer; got 'all'"),
    (["classify", "--data", "imdb", "--maxlen", "long"],
     "--maxlen: must be an integer, auto or none; got 'long'"),
])
def test_a_bad_option_value_is_one_line_naming_it(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
