"""The :class:`~rnnkit.Forecaster`'s parameters as data (see :mod:`rnnkit.parameters`);
``rnnkit forecast``'s options are built from this table.

>>> FORECASTER["epochs"].default
200
"""

from __future__ import annotations

from rnnkit.limits import MAX_ENSEMBLE, MAX_HORIZON, MAX_LAYERS, MAX_UNITS, MAX_WINDOW
from rnnkit.parameters import CELL_NAMES, Parameter, training_parameters
from rnnkit.validation import (
    Boolean,
    Choice,
    FractionOrCount,
    IntList,
    Jobs,
    Number,
    Optional,
    PositiveInt,
    TransformSpec,
)

__all__ = ["FORECASTER", "HYBRID"]

FORECASTER: dict[str, Parameter] = {
    "cell": Parameter("lstm", Choice(CELL_NAMES),
                      "recurrent cell: rnn (SimpleRNN, tanh), lstm or gru"),
    "units": Parameter((64, 32), IntList(maximum=MAX_UNITS, max_items=MAX_LAYERS),
                       "units per stacked recurrent layer, comma-separated"),
    "window": Parameter(12, IntList(example="12 or [12, 24, 36]", maximum=MAX_WINDOW,
                                    max_items=MAX_ENSEMBLE),
                        "past steps the network reads; several, comma-separated (e.g. "
                        "12,24,36), train one network per window length and use the median"),
    "horizon": Parameter(1, PositiveInt(maximum=MAX_HORIZON),
                         "steps the network emits at once (direct); longer forecasts feed its "
                         "own forecasts back (recursive)"),
    "stride": Parameter(1, PositiveInt(), "step between training windows"),
    "bidirectional": Parameter(False, Boolean(), "read each window both ways"),
    "dilations": Parameter(None, Optional(IntList(example="1,24", maximum=MAX_WINDOW,
                                                  max_items=MAX_LAYERS)),
                           "per recurrent layer, comma-separated: d > 1 links each step to "
                           "the one d steps before it (a dilated layer, e.g. 1,24 on hourly "
                           "data: the second layer reads each hour of the day as a chain "
                           "across days); default: 1 for every layer"),
    "dropout": Parameter(0.2, Number(0.0, 1.0, high_open=True),
                         "dropout after each recurrent and hidden dense layer"),
    "dense": Parameter((32,), IntList(allow_empty=True, maximum=MAX_UNITS,
                                      max_items=MAX_LAYERS),
                       "hidden ReLU layers of the head, comma-separated ('' for none)"),
    "linear_skip": Parameter(True, Boolean(),
                             "add a linear map from the last values read to the outputs, "
                             "learned with the network (naive and seasonal naive are such "
                             "maps)"),
    "transform": Parameter("auto", TransformSpec(),
                           "target transform chain, inverted for every reported number: log, "
                           "log1p, boxcox, diff, diff<lag>, stl (deseasonalise with STL), es "
                           "(deseasonalise by exponential smoothing), stl<period>, es<period>, "
                           "joined by commas (e.g. log,diff12 or log,es), none, or auto (log "
                           "for a positive series, log1p with zeros; auto,es chains)"),
    "normalize": Parameter("last", Optional(Choice(("last", "mean", "none"))),
                           "subtract each window's last (or mean) level, so the network learns "
                           "changes rather than levels; none keeps levels"),
    "scaler": Parameter("standard", Optional(Choice(("standard", "minmax", "change", "none"))),
                        "scaling fitted on the training part only (change: one unit is the "
                        "mean absolute step between consecutive values)"),
    "ensemble": Parameter(1, PositiveInt(maximum=MAX_ENSEMBLE),
                          "train this many networks (seeds seed, seed+1, ...) per window "
                          "length and use the median"),
    "validation": Parameter(0.2, FractionOrCount(),
                            "fraction of the data given to fit (at its end) used for early "
                            "stopping and intervals, or a count of last points (e.g. 24)"),
    **training_parameters(epochs=200, batch_size=16, what="windows", patience=20,
                          reduce_lr_patience=10),
    "loss": Parameter("mse", Choice(("mse", "huber", "mae")),
                      "training loss (mae: the median, robust to outliers)"),
    "season_length": Parameter(None, Optional(IntList(example="24 or [24, 168]",
                                                      maximum=MAX_WINDOW, max_items=4)),
                               "seasonal period(s), e.g. 12 or 24,168: seasonal naive and MASE "
                               "use the shortest, the deseasonalising transforms it too, and "
                               "a seasonal naive on the longest joins the baselines (default: "
                               "from the dates: hourly 24,168; half-hourly 48,336; daily "
                               "7,365; weekly 52; monthly 12; quarterly 4)"),
    "fill": Parameter(None, Optional(Choice(("ffill", "interpolate"))),
                      "fill missing values instead of refusing them"),
    "refit": Parameter(False, Boolean(),
                       "after early stopping, train again on all the data (validation part "
                       "included) for the best number of epochs"),
    "calendar": Parameter(None, Optional(Boolean()),
                          "add where each value lies in the day, week (and year) as inputs "
                          "whose future is known (default: on for dated data below a day)"),
    "n_jobs": Parameter(None, Optional(Jobs()),
                        "processes preparing many series (transforms, scalers, splits) side "
                        "by side; -1: one per core (default: this process alone)"),
    "windows_per_epoch": Parameter(None, Optional(PositiveInt()),
                                   "at most this many training windows per epoch, drawn at "
                                   "random anew each epoch (long histories, many series; "
                                   "default: all)"),
}


def _hybrid_training() -> dict[str, Parameter]:
    table = training_parameters(epochs=300, batch_size=32, what="origins", patience=30,
                                reduce_lr_patience=None)
    table["learning_rate"] = Parameter(2e-3, Number(0.0, low_open=True), "Adam learning rate")
    for name in ("checkpoint", "state_dir"):  # a few seconds per network: nothing to resume
        del table[name]
    return table


# HybridForecaster's parameters (rnnkit.forecasting.hybrid)
HYBRID: dict[str, Parameter] = {
    "base": Parameter("mstl-ets", Choice(("mstl-ets",)),
                      "the statistical model corrected: MSTL with an AutoETS trend"),
    "cell": Parameter("gru", Choice(CELL_NAMES), "recurrent cell: rnn, lstm or gru"),
    "units": Parameter(32, PositiveInt(maximum=MAX_UNITS), "units of the recurrent layer"),
    "horizon": Parameter(None, Optional(PositiveInt(maximum=MAX_WINDOW)),
                         "steps forecast from each origin (default: the shortest season)"),
    "window": Parameter(None, Optional(PositiveInt(maximum=MAX_WINDOW)),
                        "past steps read at each origin (default: the horizon)"),
    "origin_step": Parameter(None, Optional(PositiveInt(maximum=MAX_WINDOW)),
                             "steps between training origins; divides the horizon (default: "
                             "a quarter of it)"),
    "max_origins": Parameter(1000, PositiveInt(maximum=1_000_000),
                             "the most recent training origins used (each refits the base "
                             "model): bounds a fit's work on a long series"),
    "season_length": Parameter(None, FORECASTER["season_length"].constraint,
                               "seasonal period(s), e.g. 24,168: the base model's seasons, "
                               "MASE's (the shortest) and the seasonal naive's (the longest) "
                               "(default: from the dates: hourly 24,168; half-hourly 48,336; "
                               "daily 7,365; monthly 12)"),
    "fill": FORECASTER["fill"],
    "validation": Parameter(0.2, FractionOrCount(),
                            "the last origins held out for early stopping: a fraction or a "
                            "count"),
    "ensemble": Parameter(5, PositiveInt(maximum=MAX_ENSEMBLE),
                          "networks trained (seeds seed, seed+1, ...); the median corrects"),
    "refit": Parameter(True, Boolean(), "after early stopping, train again on every origin "
                       "for the best number of epochs"),
    "loss": Parameter("mae", Choice(("mse", "huber", "mae")), "training loss"),
    "correction_weight": Parameter(1.0, Number(0.0, 1.0),
                                   "share of the network's correction applied (on logs for "
                                   "a positive series): 1 all of it, less leans on the base "
                                   "model, 0 is the base model alone"),
    **_hybrid_training(),
    "n_jobs": Parameter(None, Optional(Jobs()),
                        "processes refitting the base model side by side; -1: one per core"),
}
