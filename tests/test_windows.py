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
