"""test_range.py — the float32 range check of get_label_quality_scores (the
8-lane min/max/sum pass in api/la_cl.c): every out-of-range value, +-inf
and NaN is refused wherever it sits (inside the 8-element blocks or in the
tail), the +-1e-6 tolerance is kept exactly at the float32 bounds."""
import pytest

np = pytest.importorskip("numpy", reason="numpy is not installed")
labelaudit = pytest.importorskip("labelaudit", reason="labelaudit is not importable (run `make python`)")
from labelaudit.rank import get_label_quality_scores  # noqa: E402

L = np.array([0, 1] * 5 + [1])  # 11 rows x 2 = 22 values: two blocks of 8 and a tail of 6


@pytest.mark.parametrize("pos", [0, 7, 9, 15, 16, 21])
@pytest.mark.parametrize("bad", [-1.5e-6, 1 + 1.5e-6, np.inf, -np.inf, np.nan, 3e38])
def test_refused_anywhere(bad, pos):
    p = np.full((11, 2), 0.5, np.float32)
    p.flat[pos] = np.float32(bad)
    with pytest.raises(ValueError, match="Values in pred_probs must be between 0 and 1."):
        get_label_quality_scores(L, p)


def test_tolerance_edges_accepted():
    p = np.full((11, 2), 0.5, np.float32)
    p.flat[3], p.flat[18] = np.float32(-0.9e-6), np.float32(1 + 0.9e-6)
    s = get_label_quality_scores(L, p)
    assert s.shape == (11,)
    lo = np.nextafter(np.float32(-1e-6), np.float32(0))   # the float32 bound of -1e-6 in double
    p.flat[3] = lo if float(lo) >= -1e-6 else np.float32(-1e-6)
    get_label_quality_scores(L, p)
