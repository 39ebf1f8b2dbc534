from domain import sparkline


def test_a_short_series_is_kept_point_for_point() -> None:
    state = sparkline.build([(1, 3.0), (2, 2.0), (3, 1.0)])

    assert sparkline.values(state) == [3.0, 2.0, 1.0]


def test_a_long_series_is_bucket_means_in_bounded_space() -> None:
    state = sparkline.build((step, float(step)) for step in range(1, 20_001))

    values = sparkline.values(state)
    assert sparkline.MAX_BUCKETS // 2 <= len(values) <= sparkline.MAX_BUCKETS
    assert values == sorted(values)
    # Every point counted once: the buckets' weighted means give back the series' mean.
    assert state is not None
    assert sum(state["sums"]) / sum(state["counts"]) == 10_000.5


def test_added_one_at_a_time_equals_built_at_once() -> None:
    points = [(step, 1 / step) for step in range(1, 500)]
    state = None
    for step, value in points:
        state = sparkline.add(state, step, value)

    assert state == sparkline.build(points)


def test_no_points_no_values() -> None:
    assert sparkline.values(sparkline.build([])) == []
