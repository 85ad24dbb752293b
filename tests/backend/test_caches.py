"""The public cache bounds: integers, checked, errors naming the parameter."""

import pytest


@pytest.mark.parametrize("bad, exc, match", [
    (2.5, TypeError, "max_bytes must be an integer >= 0; got 2.5"),
    ("x", TypeError, "max_bytes must be an integer >= 0; got 'x'"),
    (float("nan"), TypeError, "max_bytes must be an integer >= 0; got nan"),
    (True, TypeError, "max_bytes must be an integer"),
    (-1, ValueError, "max_bytes must be >= 0; got -1"),
], ids=["float", "str", "nan", "bool", "negative"])
def test_cache_limits_are_integers(bad, exc, match):
    # fuzz finding F35: 2.5 was taken as 2 bytes, "x" and NaN gave int()'s words
    from fieldconv.backend import cache_info, clear_plan_cache, set_cache_limit

    before = cache_info()["fft_plans"]["max_bytes"]
    with pytest.raises(exc, match=match):
        set_cache_limit("fft_plans", bad)
    with pytest.raises(exc, match=match.replace("max_bytes", "max_entries").replace(">= 0", ">= 1")
                       if exc is TypeError else "max_entries must be >= 1"):
        set_cache_limit("fft_plans", max_entries=bad if bad != -1 else 0)
    with pytest.raises(exc, match="maxsize must be"):
        clear_plan_cache(bad if bad != -1 else 0)
    assert cache_info()["fft_plans"]["max_bytes"] == before
