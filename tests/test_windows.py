import numpy as np
import pytest

from rnnkit.data.windows import make_windows, window_starts


def test_tutorial_example_window_3():
    x, y = make_windows(np.arange(10, 101, 10), window=3)
    assert x[:, :, 0].tolist() == [[10, 20, 30], [20, 30, 40], [30, 40, 50], [40, 50, 60],
                                   [50, 60, 70], [60, 70, 80], [70, 80, 90]]
    assert y[:, 0].tolist() == [40, 50, 60, 70, 80, 90, 100]


def test_horizon_and_stride():
    x, y = make_windows(np.arange(10, 101, 10), window=3, horizon=2, stride=2)
    assert x[:, :, 0].tolist() == [[10, 20, 30], [30, 40, 50], [50, 60, 70]]
    assert y.tolist() == [[40, 50], [60, 70], [80, 90]]


def test_multivariate_windows_keep_all_columns_and_target_first():
    values = np.column_stack([np.arange(6), np.arange(6) * 10])
    x, y = make_windows(values, window=2)
    assert x.shape == (4, 2, 2)
    assert x[0].tolist() == [[0, 0], [1, 10]]
    assert y[:, 0].tolist() == [2, 3, 4, 5]


def test_validation_windows_reach_back_but_score_only_later_points():
    series = np.arange(20)
    x, y = make_windows(series, window=4, first_target=15)
    assert y[:, 0].tolist() == [15, 16, 17, 18, 19]  # no target lost, none before 15
    assert x[0, :, 0].tolist() == [11, 12, 13, 14]  # reaches back into the earlier part


@pytest.mark.parametrize("n, window, horizon", [(3, 3, 1), (4, 3, 2), (0, 1, 1)])
def test_too_short_gives_no_windows(n, window, horizon):
    assert len(window_starts(n, window, horizon)) == 0


@pytest.mark.parametrize("normalize", ["last", "mean", None])
def test_the_window_sampler_cuts_the_windows_cutting_them_first_gives(normalize):
    """Windows gathered per batch from the series (several, one after another) equal the
    windows cut up front, normalised alike, for any batch and any steps read."""
    from rnnkit.forecasting.pipeline import normalize_windows
    from rnnkit.forecasting.sampler import WindowSampler, starts

    rng = np.random.default_rng(4)
    series = [rng.normal(size=(n, 3)) for n in (20, 35, 28)]
    window, horizon, read = 6, 2, 4
    cut = [make_windows(s, window, horizon, 2) for s in series]
    offsets = np.cumsum([0] + [len(s) for s in series])[:-1]
    sampler = WindowSampler(np.concatenate(series), np.concatenate(
        [starts(o, len(s), window, horizon, 2) for o, s in zip(offsets, series, strict=True)]),
        window, horizon, read, normalize)
    x_all = np.concatenate([x for x, _ in cut])
    y_all = np.concatenate([y for _, y in cut])
    assert len(sampler) == len(x_all)
    batch = rng.permutation(len(x_all))[:9]
    x, level = normalize_windows(x_all[batch][:, -read:], normalize)
    got_x, got_y = sampler.arrays(batch)
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_y, y_all[batch] - level[:, None])
    tensors = sampler[batch]
    assert [tuple(t.shape) for t in tensors] == [(9, read, 3), (9, horizon)]
