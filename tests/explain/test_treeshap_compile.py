"""The steps of ``_treeshap.compile_ensemble``: parse the boosters' JSON, walk and flatten the trees,
pad the leaf paths, plan the SHAP tables; and the steps together."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from workbench.explain import _treeshap
from workbench.explain._treeshap import (
    FlatTrees,
    UnsupportedModel,
    compile_ensemble,
    ensemble_contribs,
    flatten_ensemble,
    leaf_slot_arrays,
    parse_booster,
    parse_boosters,
    path_features,
    plan_leaf_tables,
    plan_tree_tables,
    shapley_weights,
    walk_tree,
)


def _data(n: int = 400, p: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(size=n) > 0).astype(int)
    return X, y


def _booster(n_estimators: int = 5, max_depth: int = 3, p: int = 5, seed: int = 0, **kwargs) -> xgb.Booster:
    X, y = _data(p=p, seed=seed)
    return xgb.XGBClassifier(n_estimators=n_estimators, max_depth=max_depth, random_state=seed, n_jobs=1,
                             **kwargs).fit(X, y).get_booster()


def _tree(root_feature: int = 1, inner_feature: int = 0) -> dict:
    """A hand-made xgboost JSON tree: root splits on ``root_feature`` (cover 10) into node 1 (cover 6,
    splits on ``inner_feature``) and leaf 2 (cover 4, value 0.4); node 1 into leaves 3 (cover 2,
    value -1.0) and 4 (cover 4, value 2.0)."""
    return {"left_children": [1, 3, -1, -1, -1], "right_children": [2, 4, -1, -1, -1],
            "split_indices": [root_feature, inner_feature, 0, 0, 0],
            "split_conditions": [0.5, -0.25, 0.4, -1.0, 2.0], "sum_hessian": [10.0, 6.0, 4.0, 2.0, 4.0],
            "default_left": [1, 0, 0, 0, 0]}


# --------------------------------------------------------------------------- parse


def test_parse_booster_reads_trees_width_and_the_base_margin():
    parsed = parse_booster(_booster(n_estimators=4, p=5, base_score=0.3))
    assert len(parsed.trees) == 4 and parsed.n_features == 5
    assert parsed.base_margin == pytest.approx(math.log(0.3 / 0.7), rel=1e-6)  # logistic: the logit of base_score
    X, y = _data()
    reg = xgb.XGBRegressor(n_estimators=2, max_depth=2, base_score=2.5, n_jobs=1).fit(X, y.astype(float))
    assert parse_booster(reg.get_booster()).base_margin == pytest.approx(2.5)  # identity link: as is


def test_parse_booster_rejects_what_the_engine_does_not_handle():
    with pytest.raises(UnsupportedModel, match="dart"):
        parse_booster(_booster(booster="dart"))
    X, _ = _data()
    multi = xgb.XGBClassifier(n_estimators=2, max_depth=2, n_jobs=1).fit(X, np.arange(len(X)) % 3)
    with pytest.raises(UnsupportedModel, match="multi"):
        parse_booster(multi.get_booster())
    frame = pd.DataFrame({"a": X[:, 0], "c": pd.Categorical(np.where(X[:, 1] > 0, "x", "y"))})
    cat = xgb.XGBClassifier(n_estimators=2, max_depth=2, n_jobs=1, tree_method="hist", enable_categorical=True,
                            max_cat_to_onehot=1).fit(frame, (X[:, 1] > 0).astype(int))
    with pytest.raises(UnsupportedModel, match="categorical"):
        parse_booster(cat.get_booster())


def test_parse_boosters_needs_boosters_of_one_width():
    with pytest.raises(ValueError, match="no boosters"):
        parse_boosters([])
    with pytest.raises(ValueError, match=r"disagree on the number of features \(5 vs 4\)"):
        parse_boosters([_booster(p=5), _booster(p=4)])
    assert [p.n_features for p in parse_boosters([_booster(seed=1), _booster(seed=2)])] == [5, 5]


# --------------------------------------------------------------------------- walk and flatten


def test_walk_tree_lists_splits_in_bit_order_and_each_leaf_with_its_path():
    splits, leaves = walk_tree(_tree())
    assert splits == [0, 1]
    assert [leaf for leaf, _ in leaves] == [2, 4, 3]  # depth first, right child first off the stack
    paths = dict(leaves)
    assert paths[2] == [(0, 0, 1, 0.4)]
    assert paths[4] == [(0, 1, 1, 0.6), (1, 0, 0, pytest.approx(4 / 6))]
    assert paths[3] == [(0, 1, 1, 0.6), (1, 1, 0, pytest.approx(2 / 6))]


def test_path_features_merge_repeated_splits_on_a_feature():
    features, z, slots = path_features([(0, 1, 5, 0.5), (1, 0, 2, 0.8), (2, 1, 5, 0.5)])
    assert features == [5, 2]
    assert z == pytest.approx([0.25, 0.8])
    assert slots == [0, 1, 0]
    assert path_features([]) == ([], [], [])


def test_add_tree_flattens_nodes_splits_leaves_and_edges():
    flat = FlatTrees()
    flat.add_tree(_tree(), weight=0.5)
    assert flat.node_feature == [1, 0, -1, -1, -1]
    assert flat.split_node == [0, 1] and flat.split_start == [0, 2]
    assert flat.tree_feature == [1, 0] and flat.tree_feature_start == [0, 2]
    assert flat.leaf_start == [0, 3] and flat.leaf_d == [1, 2, 2]
    assert flat.leaf_value == pytest.approx([0.2, 1.0, -0.5])  # value x weight, leaves 2, 4, 3
    assert flat.leaf_tree_slot == [[0], [0, 1], [0, 1]]
    # One edge per split on a leaf's path: leaf 2 right at the root (bit 0); leaf 4 left at the root,
    # right at node 1 (bit 1); leaf 3 left at both.
    assert flat.edge_start == [0, 1, 3, 5]
    assert flat.edge_bit == [0, 0, 1, 0, 1] and flat.edge_left == [0, 1, 0, 1, 1]
    # The bias is the cover-weighted mean leaf value: (4 x 0.4 + 4 x 2.0 + 2 x -1.0) / 10, times the weight.
    assert flat.bias == pytest.approx(0.5 * (1.6 + 8.0 - 2.0) / 10)
    flat.add_tree(_tree(root_feature=3, inner_feature=3), weight=1.0)
    assert flat.split_node[2:] == [5, 6]  # node indices continue after the first tree's five nodes
    assert flat.tree_feature[2:] == [3] and flat.leaf_d[3:] == [1, 1, 1]
    assert flat.leaf_z[4] == pytest.approx([0.6 * 4 / 6])  # two splits on feature 3: one slot


def test_flatten_ensemble_weights_leaves_and_base_margins():
    a, b = _booster(seed=1), _booster(seed=2)
    parsed = parse_boosters([a, b])
    flat = flatten_ensemble(parsed, [0.25, 0.75])
    n_trees = len(parsed[0].trees) + len(parsed[1].trees)
    assert len(flat.split_start) == n_trees + 1 and len(flat.leaf_start) == n_trees + 1
    only_a = flatten_ensemble(parsed[:1], [1.0])
    n_a = len(only_a.leaf_value)
    np.testing.assert_allclose(flat.leaf_value[:n_a], 0.25 * np.asarray(only_a.leaf_value))
    # Each booster's bias is its expected margin: base margin + cover-weighted leaf values.
    only_b = flatten_ensemble(parsed[1:], [1.0])
    assert flat.bias == pytest.approx(0.25 * only_a.bias + 0.75 * only_b.bias, rel=1e-12)


# --------------------------------------------------------------------------- leaf arrays and tables


def test_leaf_slot_arrays_pad_to_the_deepest_path():
    flat = FlatTrees()
    flat.add_tree(_tree(), weight=1.0)
    d, feats, tslots, z = leaf_slot_arrays(flat)
    np.testing.assert_array_equal(d, [1, 2, 2])
    assert feats.shape == tslots.shape == z.shape == (3, 2)
    np.testing.assert_array_equal(feats, [[1, 0], [1, 0], [1, 0]])  # leaf 2's second slot is padding (0)
    np.testing.assert_allclose(z, [[0.4, 1.0], [0.6, 4 / 6], [0.6, 2 / 6]])  # padding z = 1
    deep = FlatTrees(leaf_d=[63], leaf_features=[list(range(63))], leaf_tree_slot=[list(range(63))],
                     leaf_z=[[0.5] * 63])
    with pytest.raises(UnsupportedModel, match="63 distinct features"):
        leaf_slot_arrays(deep)


def test_plan_tree_tables_tabulates_small_trees_within_the_budget(monkeypatch):
    sizes, tabled, offsets = plan_tree_tables(np.array([0, 3, 9, 2]), np.array([0, 2, 4, 1]))
    np.testing.assert_array_equal(sizes, [0, 16, 0, 4])  # 2^splits x distinct features; > 8 splits: none
    np.testing.assert_array_equal(tabled, [False, True, False, True])  # a single leaf needs no table
    np.testing.assert_array_equal(offsets, [-1, 0, -1, 16])
    monkeypatch.setattr(_treeshap, "_TABLE_BUDGET", 60)  # half of it, 30, holds the 3-split tree only
    _, tabled, offsets = plan_tree_tables(np.array([3, 4]), np.array([2, 2]))
    np.testing.assert_array_equal(tabled, [True, False])
    np.testing.assert_array_equal(offsets, [0, -1])


def test_plan_leaf_tables_skip_tabled_trees_and_deep_leaves(monkeypatch):
    sizes, tabled, offsets = plan_leaf_tables(np.array([0, 2, 3, 7, 1]), np.array([0, 0, 1, 1, 1]),
                                              np.array([True, False]))
    np.testing.assert_array_equal(sizes, [0, 0, 24, 0, 2])  # 2^d x d; leaves of a tabled tree: none
    np.testing.assert_array_equal(tabled, [False, False, True, False, True])
    np.testing.assert_array_equal(offsets, [-1, -1, 0, -1, 24])
    monkeypatch.setattr(_treeshap, "_TABLE_BUDGET", 40)  # half of it, 20, holds the depth-1 leaf only
    _, tabled, _ = plan_leaf_tables(np.array([3, 1]), np.array([0, 0]), np.array([False]))
    np.testing.assert_array_equal(tabled, [False, True])


def test_shapley_weights_of_each_depth_sum_to_one_over_coalitions():
    w = shapley_weights(6)
    for d in range(1, 7):
        assert sum(math.comb(d - 1, s) * w[d, s] for s in range(d)) == pytest.approx(1.0)
    assert w[3, 1] == pytest.approx(1 / 6)  # 1! 1! / 3!


# --------------------------------------------------------------------------- the steps together


@pytest.mark.parametrize("max_depth", [3, 7])
def test_compiled_ensemble_adds_up_to_the_weighted_margin(max_depth, monkeypatch):
    if max_depth == 7:  # force the per-row path for some leaves as well
        monkeypatch.setattr(_treeshap, "_TABLE_MAX_D", 4)
    a, b = _booster(max_depth=max_depth, seed=1), _booster(max_depth=max_depth, seed=2)
    X, _ = _data(n=50, seed=9)
    ens = compile_ensemble([a, b], weights=[0.25, 0.75])
    phi = ensemble_contribs(ens, X)
    margin = 0.25 * a.predict(xgb.DMatrix(X), output_margin=True) + 0.75 * b.predict(xgb.DMatrix(X), output_margin=True)
    np.testing.assert_allclose(phi.sum(axis=1) + ens.bias, margin, atol=1e-4)
    assert ens.bias == pytest.approx(flatten_ensemble(parse_boosters([a, b]), [0.25, 0.75]).bias, rel=0, abs=0)
    if max_depth == 7:
        assert (ens.table_offset < 0).any()  # some leaves computed per row
