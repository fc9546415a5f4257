"""Rule tables, boundaries and datasets against hand-written cases."""
import numpy as np
import pytest

import local_rules as lr


def pm(s: str) -> np.ndarray:
    return np.array([1 if c == "1" else -1 for c in s], dtype=np.int8)


def test_rule30_table_matches_doc():
    # (---, --+, -+-, -++, +--, +-+, ++-, +++) -> -1, 1, 1, 1, 1, -1, -1, -1
    assert lr.rule_table(30).tolist() == [-1, 1, 1, 1, 1, -1, -1, -1]


@pytest.mark.parametrize("rule,rows", [
    (30, ["000010000", "000111000", "001100100", "011011110"]),
    (90, ["000010000", "000101000", "001000100", "010101010"]),
    (110, ["000000010", "000000110", "000001110", "000011010"]),
])
def test_single_cell_evolution(rule, rows):
    for a, b in zip(rows[:-1], rows[1:]):
        assert np.array_equal(lr.apply_rule(pm(a), rule, 1, "open"), pm(b))


def test_k2_composition_hand_case():
    # rule 30 twice from a single cell (open boundaries): 000010000 -> 001100100
    assert np.array_equal(lr.apply_rule(pm("000010000"), 30, 2), pm("001100100"))
    # near the boundary the outside cells are -1 sea that also evolves: rule 1 maps --- to +1
    # x = '1' alone, K=1: neighbourhood (-,+,-) -> bit 2 of 1 = 0 -> -1
    assert lr.apply_rule(pm("1"), 1, 1).tolist() == [-1]
    # K=2 with rule 1 on '0': the sea cells become +1 after one step, so y = f(+,+,+) = bit 7 = 0 -> -1,
    # whereas re-padding with -1 would give f(-,+,-)... here f(---)=+1 first, then f(+++) = -1
    assert lr.apply_rule(pm("0"), 1, 2).tolist() == [-1]


def test_closed_boundary_wraps():
    # rule 30 on the ring 1000: cell 3 sees (0,0,1) -> 1, cell 0 sees (0,1,0) -> 1, cell 1 sees (1,0,0) -> 1
    assert np.array_equal(lr.apply_rule(pm("1000"), 30, 1, "closed"), pm("1101"))
    assert np.array_equal(lr.apply_rule(pm("1000"), 30, 1, "open"), pm("1100"))


def test_bad_input_names_parameter():
    with pytest.raises(ValueError, match="rule"):
        lr.rule_table(256)
    with pytest.raises(ValueError, match="rule"):
        lr.apply_rule(pm("101"), -1)
    with pytest.raises(ValueError, match="K"):
        lr.apply_rule(pm("101"), 30, 0)
    with pytest.raises(ValueError, match="M"):
        lr.make_dataset(30, 2, 4)
    with pytest.raises(ValueError, match="M"):
        lr.apply_rule(pm("101"), 30, 2, "closed")
    with pytest.raises(ValueError, match="boundary"):
        lr.apply_rule(pm("101"), 30, 1, "weird")


def test_exhaustive_dataset_positions_and_labels():
    ds = lr.make_dataset(30, 1, 3)
    assert ds.n_positions == 24 and np.isclose(ds.weights.sum(), 1.0)
    x = lr.all_inputs(3)
    y = lr.apply_rule(x, 30, 1)
    # each position's label equals the rule applied to its own sequence
    assert np.array_equal(ds.labels, y[ds.pos_sequence, ds.pos_index])
    assert np.array_equal(2 * ds.pos_center - 1, x[ds.pos_sequence, ds.pos_index])


def test_random_dataset_seeded():
    a = lr.make_dataset(30, 1, 12, n=20, seed=3)
    b = lr.make_dataset(30, 1, 12, n=20, seed=3)
    c = lr.make_dataset(30, 1, 12, n=20, seed=4)
    assert np.array_equal(a.labels, b.labels) and not np.array_equal(a.labels, c.labels)


def test_test_set_weights_and_parts():
    ts = lr.make_test_set(30, 1, max_len=6, n_long=4, long_len=20)
    assert np.isclose(ts.weights.sum(), 1.0)
    long_part = ts.pos_sequence >= sum(2 ** M for M in range(3, 7))
    assert np.isclose(ts.weights[long_part].sum(), 0.5)
