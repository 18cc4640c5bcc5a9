"""Exact path-dependent TreeSHAP for xgboost tree ensembles, compiled with numba.

Why not only ``Booster.predict(pred_contribs=True)``: xgboost (and ``shap.TreeExplainer``,
which delegates to it for xgboost models) runs Lundberg's recursive algorithm,
O(leaves x depth^2) per tree and row, in float32. Here the same quantities are computed
with the "Fast TreeSHAP v2" idea (Yang 2021, arXiv:2109.09847): per leaf, the SHAP
contribution of each feature on its path depends on the row only through *which* of the
path's conditions the row satisfies, so it can be tabulated in advance. Three levels:

* trees with at most ``_TREE_TABLE_MAX_SPLITS`` splits (every tree of the default depth-3 PD
  model) get one table row per combination of split outcomes: a row of X costs one comparison
  per split and one addition per distinct feature of the tree;
* leaves of larger trees with at most ``_TABLE_MAX_D`` distinct path features get one table row
  per satisfaction pattern of their path;
* deeper leaves are computed per row in O(d^2).

Definitions (Lundberg et al. 2020, Algorithm 2, which xgboost implements): for a leaf with
value ``v`` and the distinct features ``U`` (``d = |U|``) split on along its path,

* ``z_j`` = product of ``cover(child) / cover(parent)`` over the path's splits on ``j``
  (xgboost's cover: the hessian sum),
* ``o_j(x)`` = 1 if ``x`` follows every split on ``j`` of that path, else 0,
* ``phi_k += v (o_k - z_k) sum_{S subset U\\{k}} |S|!(d-1-|S|)!/d! prod_{j in S} o_j prod_{j notin S, j != k} z_j``,

and the bias is ``base_margin + sum over leaves of v prod_j z_j`` (the cover-weighted mean of
each tree). Missing values follow the split's default direction; ``x < threshold`` goes left,
both in float32 exactly as xgboost compares them. Sums are in float64.

Supported: ``gbtree`` boosters with numerical splits and one output (binary or regression
objectives). Anything else raises ``UnsupportedModel`` so the caller can fall back to xgboost.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numba
import numpy as np
import xgboost as xgb

__all__ = ["UnsupportedModel", "CompiledEnsemble", "compile_ensemble", "ensemble_contribs", "ParsedBooster",
           "parse_booster", "parse_boosters", "walk_tree", "path_features", "FlatTrees", "flatten_ensemble",
           "leaf_slot_arrays", "plan_tree_tables", "plan_leaf_tables", "shapley_weights"]

# Leaves with at most this many distinct path features get a pattern table (2^d x d entries);
# deeper ones are computed per row in O(d^2). Depth-6 tables are 384 numbers per leaf.
_TABLE_MAX_D = 6
# Trees with at most this many splits get a whole-tree table: one row of contributions per
# combination of split outcomes (2^8 x up to 8 features); a row then costs one comparison per
# split and one addition per distinct feature of the tree. Depth-3 trees have at most 7 splits.
_TREE_TABLE_MAX_SPLITS = 8
# Rows explained together tree by tree (see the kernel).
_BLOCK = 256
# Upper bound of tabulated numbers (float64) for a whole ensemble, half for each kind: 128 MiB.
_TABLE_BUDGET = 1 << 24
# Objectives whose margin is the logit of base_score; the others listed add base_score as is.
_LOGIT_BASE = {"binary:logistic", "reg:logistic"}
_IDENTITY_BASE = {"reg:squarederror", "reg:absoluteerror", "reg:pseudohubererror", "binary:logitraw",
                  "reg:quantileerror"}


class UnsupportedModel(ValueError):
    """A booster this engine does not handle (categorical splits, dart, multi-output, ...)."""


@dataclass(frozen=True)
class CompiledEnsemble:
    """Flat arrays describing every leaf path of several boosters, each booster weighted."""

    n_features: int
    bias: float
    node_feature: np.ndarray    # per node: feature index (-1 for leaves)
    node_threshold: np.ndarray  # float32, x < threshold goes left
    node_default_left: np.ndarray
    split_start: np.ndarray     # per tree: first entry in split_node (length n_trees + 1)
    split_node: np.ndarray      # global node index of each reachable split, in bit order per tree
    tree_feature_start: np.ndarray  # per tree: first entry in tree_feature (length n_trees + 1)
    tree_feature: np.ndarray    # the distinct features a tree splits on
    tree_table_offset: np.ndarray   # per tree: start in tree_table, or -1 (leaf by leaf)
    tree_table: np.ndarray      # (2^splits x distinct features) per tabulated tree
    leaf_start: np.ndarray      # per tree: first leaf index (length n_trees + 1)
    leaf_d: np.ndarray          # distinct features on the leaf's path
    leaf_features: np.ndarray   # (n_leaves, max_d) feature index per slot
    leaf_tree_slot: np.ndarray  # (n_leaves, max_d) position of the slot's feature in tree_feature
    leaf_z: np.ndarray          # (n_leaves, max_d) zero fraction per slot
    leaf_value: np.ndarray      # leaf value times the booster's weight
    edge_start: np.ndarray      # per leaf: first edge (length n_leaves + 1)
    edge_bit: np.ndarray        # position of the split among its tree's splits
    edge_left: np.ndarray       # 1 if the path goes left at that split
    edge_slot: np.ndarray       # slot (0..d-1) of the split's feature in the leaf
    table_offset: np.ndarray    # per leaf: start in ``table`` or -1 (computed per row)
    table: np.ndarray
    max_splits: int
    weights: np.ndarray         # (max_d + 1, max_d) Shapley weights by d and |S|


def _base_margin(learner: dict) -> float:
    objective = learner["objective"]["name"]
    raw = learner["learner_model_param"]["base_score"]
    values = [float(v) for v in raw.strip("[]").split(",") if v.strip()]
    if len(values) != 1:
        raise UnsupportedModel(f"booster has {len(values)} base scores; only single-output models are supported")
    base = values[0]
    if objective in _LOGIT_BASE:
        return float(math.log(base / (1.0 - base)))
    if objective in _IDENTITY_BASE:
        return float(base)
    raise UnsupportedModel(f"objective {objective!r} is not supported by the fast engine")


class ParsedBooster(NamedTuple):
    """One booster's JSON dump, checked: its trees (xgboost's JSON tree dicts), base margin and width."""

    trees: list[dict]
    base_margin: float
    n_features: int


def parse_booster(booster: xgb.Booster) -> ParsedBooster:
    """Read the booster's JSON dump; ``UnsupportedModel`` for anything but a single-output gbtree with
    numerical splits and scalar leaves."""
    model = json.loads(booster.save_raw("json"))
    learner = model["learner"]
    gb = learner["gradient_booster"]
    if gb["name"] != "gbtree":
        raise UnsupportedModel(f"booster type {gb['name']!r} is not supported by the fast engine (gbtree only)")
    trees = gb["model"]["trees"]
    if any(int(g) != 0 for g in gb["model"]["tree_info"]):
        raise UnsupportedModel("multi-class / multi-output boosters are not supported by the fast engine")
    for tree in trees:
        if any(int(s) != 0 for s in tree["split_type"]):
            raise UnsupportedModel("categorical splits are not supported by the fast engine")
        if int(tree["tree_param"].get("size_leaf_vector", "1")) > 1:
            raise UnsupportedModel("vector-leaf trees are not supported by the fast engine")
    return ParsedBooster(trees, _base_margin(learner), int(learner["learner_model_param"]["num_feature"]))


def parse_boosters(boosters: list[xgb.Booster]) -> list[ParsedBooster]:
    """``parse_booster`` of each; the boosters must agree on the number of features."""
    if not boosters:
        raise ValueError("no boosters to explain")
    parsed = [parse_booster(b) for b in boosters]
    widths = [p.n_features for p in parsed]
    for n_feat in widths[1:]:
        if n_feat != widths[0]:
            raise ValueError(f"boosters disagree on the number of features ({widths[0]} vs {n_feat})")
    return parsed


#: One split on a leaf's path: (node, 1 if the path goes left there, split feature, cover(child) / cover(node)).
PathStep = tuple[int, int, int, float]


def walk_tree(tree: dict) -> tuple[list[int], list[tuple[int, list[PathStep]]]]:
    """Depth-first walk from the root: the split nodes in the order visited (their bit order) and each
    leaf with its path from the root, in the order visited."""
    left, right, split = tree["left_children"], tree["right_children"], tree["split_indices"]
    cover = np.asarray(tree["sum_hessian"], dtype=np.float64)
    splits: list[int] = []
    leaves: list[tuple[int, list[PathStep]]] = []
    stack: list[tuple[int, list[PathStep]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        if left[node] == -1:
            leaves.append((node, path))
            continue
        splits.append(node)
        f = int(split[node])
        for child, went_left in ((left[node], 1), (right[node], 0)):
            # A zero-cover parent cannot occur with hessian-weighted covers > 0; guard anyway.
            ratio = cover[child] / cover[node] if cover[node] > 0 else 0.0
            stack.append((child, path + [(node, went_left, f, ratio)]))
    return splits, leaves


def path_features(path: list[PathStep]) -> tuple[list[int], list[float], list[int]]:
    """The distinct features of a leaf's path (first appearance order), their zero fractions z (product
    of the cover ratios of the path's splits on the feature) and the slot of each step's feature."""
    features: list[int] = []
    z: list[float] = []
    slots = []
    for _, _, f, ratio in path:
        if f not in features:
            features.append(f)
            z.append(1.0)
        k = features.index(f)
        z[k] *= ratio
        slots.append(k)
    return features, z, slots


@dataclass
class FlatTrees:
    """Every tree of the ensemble as flat lists (``add_tree``), before they become arrays; ``bias``
    accumulates the weighted base margins and cover-weighted leaf values in the order added."""

    node_feature: list[int] = field(default_factory=list)
    node_threshold: list[np.ndarray] = field(default_factory=list)
    node_default_left: list[int] = field(default_factory=list)
    split_start: list[int] = field(default_factory=lambda: [0])
    split_node: list[int] = field(default_factory=list)
    tree_feature_start: list[int] = field(default_factory=lambda: [0])
    tree_feature: list[int] = field(default_factory=list)
    leaf_start: list[int] = field(default_factory=lambda: [0])
    leaf_d: list[int] = field(default_factory=list)
    leaf_features: list[list[int]] = field(default_factory=list)
    leaf_tree_slot: list[list[int]] = field(default_factory=list)
    leaf_z: list[list[float]] = field(default_factory=list)
    leaf_value: list[float] = field(default_factory=list)
    edge_start: list[int] = field(default_factory=lambda: [0])
    edge_bit: list[int] = field(default_factory=list)
    edge_left: list[int] = field(default_factory=list)
    edge_slot: list[int] = field(default_factory=list)
    bias: float = 0.0
    n_nodes: int = 0

    def add_tree(self, tree: dict, weight: float) -> None:
        """Append one tree: its nodes, its splits in bit order, its leaves (value x ``weight``) with
        their path features and edges, and its leaves' share of the bias."""
        left, split = tree["left_children"], tree["split_indices"]
        cond = np.asarray(tree["split_conditions"], dtype=np.float32)
        n = len(left)
        self.node_feature.extend(int(split[i]) if left[i] != -1 else -1 for i in range(n))
        self.node_threshold.append(cond)
        self.node_default_left.extend(int(v) for v in tree["default_left"])
        splits, leaves = walk_tree(tree)
        bit_of = {node: bit for bit, node in enumerate(splits)}
        self.split_node.extend(self.n_nodes + node for node in splits)
        t_feats: list[int] = []
        for node, path in leaves:
            features, z, slots = path_features(path)
            for f in features:
                if f not in t_feats:
                    t_feats.append(f)
            value = weight * float(cond[node])
            self.leaf_d.append(len(features))
            self.leaf_features.append(features)
            self.leaf_tree_slot.append([t_feats.index(f) for f in features])
            self.leaf_z.append(z)
            self.leaf_value.append(value)
            for (pn, went_left, _, _), k in zip(path, slots):
                self.edge_bit.append(bit_of[pn])
                self.edge_left.append(went_left)
                self.edge_slot.append(k)
            self.edge_start.append(len(self.edge_bit))
            self.bias += value * math.prod(z)
        self.split_start.append(len(self.split_node))
        self.tree_feature.extend(t_feats)
        self.tree_feature_start.append(len(self.tree_feature))
        self.leaf_start.append(len(self.leaf_d))
        self.n_nodes += n


def flatten_ensemble(parsed: list[ParsedBooster], weights: list[float]) -> FlatTrees:
    """All trees of all boosters, each booster's leaves and base margin scaled by its weight."""
    flat = FlatTrees()
    for booster, weight in zip(parsed, weights):
        flat.bias += weight * booster.base_margin
        for tree in booster.trees:
            flat.add_tree(tree, weight)
    return flat


def leaf_slot_arrays(flat: FlatTrees) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per leaf: path depth d (distinct features) and (n_leaves, max_d) arrays of its features, their
    slots in the tree's feature list and their zero fractions, padded with 0, 0 and 1."""
    max_d = max(max(flat.leaf_d), 1)
    if max_d > 62:
        raise UnsupportedModel(f"a leaf path with {max_d} distinct features is deeper than the fast engine handles")
    n_leaves = len(flat.leaf_d)
    feats_arr = np.zeros((n_leaves, max_d), dtype=np.int64)
    tslot_arr = np.zeros((n_leaves, max_d), dtype=np.int64)
    z_arr = np.ones((n_leaves, max_d), dtype=np.float64)
    for i, (fs, ts, zs) in enumerate(zip(flat.leaf_features, flat.leaf_tree_slot, flat.leaf_z)):
        feats_arr[i, :len(fs)] = fs
        tslot_arr[i, :len(ts)] = ts
        z_arr[i, :len(zs)] = zs
    return np.asarray(flat.leaf_d, dtype=np.int64), feats_arr, tslot_arr, z_arr


def _largest_cap(sizes: np.ndarray, key: np.ndarray, cap: int) -> int:
    """The largest cap <= ``cap`` whose items (``key <= cap``) fit half the table budget."""
    while cap > 0 and int(sizes[key <= cap].sum()) > _TABLE_BUDGET // 2:
        cap -= 1
    return cap


def plan_tree_tables(n_splits: np.ndarray, n_tfeat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which trees get a whole-tree table (one row per combination of split outcomes): those with at
    most ``_TREE_TABLE_MAX_SPLITS`` splits, fewer if the tables would exceed half the budget.
    Returns each tree's table size, whether it is tabled, and its offset (-1 if not)."""
    sizes = np.where(n_splits <= _TREE_TABLE_MAX_SPLITS,
                     (1 << np.minimum(n_splits, _TREE_TABLE_MAX_SPLITS)) * n_tfeat, 0)
    cap = _largest_cap(sizes, n_splits, _TREE_TABLE_MAX_SPLITS)
    tabled = (n_splits <= cap) & (n_splits > 0)
    return sizes, tabled, _offsets(sizes, tabled)


def plan_leaf_tables(leaf_d: np.ndarray, leaf_tree: np.ndarray,
                     tree_tabled: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which leaves of the trees without a whole-tree table get a pattern table (2^d x d numbers): depth
    at most ``_TABLE_MAX_D``, less if the tables would exceed half the budget; the others are computed
    per row. Returns each leaf's table size (0 in tabled trees), whether it is tabled, and its offset."""
    sizes = np.where(leaf_d <= _TABLE_MAX_D, (1 << np.minimum(leaf_d, _TABLE_MAX_D)) * np.maximum(leaf_d, 1), 0)
    sizes[tree_tabled[leaf_tree]] = 0
    cap = _largest_cap(sizes, leaf_d, _TABLE_MAX_D)
    tabled = (leaf_d <= cap) & (leaf_d > 0) & ~tree_tabled[leaf_tree]
    return sizes, tabled, _offsets(sizes, tabled)


def compile_ensemble(boosters: list[xgb.Booster], weights: list[float] | None = None) -> CompiledEnsemble:
    """Flatten ``boosters`` (margin = sum of weight x booster margin; the PD bag uses 1/n each): parse
    their JSON dumps, flatten the trees, pad the leaf paths, plan and fill the SHAP tables."""
    parsed = parse_boosters(boosters)
    weights = [1.0 / len(boosters)] * len(boosters) if weights is None else list(weights)
    flat = flatten_ensemble(parsed, weights)
    d_arr, feats_arr, tslot_arr, z_arr = leaf_slot_arrays(flat)
    leaf_start = np.asarray(flat.leaf_start, dtype=np.int64)
    n_splits = np.diff(np.asarray(flat.split_start, dtype=np.int64))
    n_tfeat = np.diff(np.asarray(flat.tree_feature_start, dtype=np.int64))
    tree_sizes, tree_tabled, tree_offsets = plan_tree_tables(n_splits, n_tfeat)
    leaf_tree = np.repeat(np.arange(len(n_splits)), np.diff(leaf_start))
    leaf_sizes, leaf_tabled, leaf_offsets = plan_leaf_tables(d_arr, leaf_tree, tree_tabled)

    value_arr = np.asarray(flat.leaf_value, dtype=np.float64)
    shap_w = shapley_weights(feats_arr.shape[1])
    table = np.zeros(int(leaf_sizes[leaf_tabled].sum()), dtype=np.float64)
    _fill_leaf_tables(d_arr, z_arr, value_arr, shap_w, leaf_offsets, table)
    edges = (np.asarray(flat.edge_start, dtype=np.int64), np.asarray(flat.edge_bit, dtype=np.int64),
             np.asarray(flat.edge_left, dtype=np.uint8), np.asarray(flat.edge_slot, dtype=np.int64))
    tree_table = np.zeros(int(tree_sizes[tree_tabled].sum()), dtype=np.float64)
    _fill_tree_tables(leaf_start, n_splits, n_tfeat, tree_offsets, d_arr, z_arr, value_arr, shap_w, tslot_arr,
                      *edges, tree_table)
    return CompiledEnsemble(
        n_features=int(parsed[0].n_features), bias=float(flat.bias),
        node_feature=np.asarray(flat.node_feature, dtype=np.int64),
        node_threshold=np.concatenate(flat.node_threshold).astype(np.float32),
        node_default_left=np.asarray(flat.node_default_left, dtype=np.uint8),
        split_start=np.asarray(flat.split_start, dtype=np.int64),
        split_node=np.asarray(flat.split_node, dtype=np.int64),
        tree_feature_start=np.asarray(flat.tree_feature_start, dtype=np.int64),
        tree_feature=np.asarray(flat.tree_feature, dtype=np.int64), tree_table_offset=tree_offsets,
        tree_table=tree_table, leaf_start=leaf_start, leaf_d=d_arr, leaf_features=feats_arr,
        leaf_tree_slot=tslot_arr, leaf_z=z_arr, leaf_value=value_arr, edge_start=edges[0], edge_bit=edges[1],
        edge_left=edges[2], edge_slot=edges[3], table_offset=leaf_offsets, table=table,
        max_splits=int(max(n_splits.max(initial=0), 1)), weights=shap_w,
    )


def _offsets(sizes: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Start of each chosen item in a table where chosen items are stored one after another; -1 otherwise."""
    out = np.full(len(sizes), -1, dtype=np.int64)
    if chosen.any():
        out[chosen] = np.concatenate([[0], np.cumsum(sizes[chosen])[:-1]])
    return out


def shapley_weights(max_d: int) -> np.ndarray:
    """``w[d, s] = s! (d-1-s)! / d!``: the weight of a coalition of size s among d path features."""
    w = np.zeros((max_d + 1, max(max_d, 1)))
    for d in range(1, max_d + 1):
        for s in range(d):
            w[d, s] = math.factorial(s) * math.factorial(d - 1 - s) / math.factorial(d)
    return w


@numba.njit(cache=True, nogil=True)
def _leaf_phi(z, d, pattern, value, w, coef, quot, out):
    """SHAP contribution of each of the leaf's ``d`` path features for one satisfaction pattern.

    Bit ``k`` of ``pattern`` set = the row fails a split on slot ``k`` (o_k = 0). ``w[s]`` is the
    Shapley weight |S|!(d-1-|S|)!/d! for |S| = s; ``coef`` and ``quot`` are scratch (length >= d + 1).
    """
    # Q(t) = prod over satisfied slots j of (z_j + t); coef[s] = coefficient of t^s.
    coef[0] = 1.0
    m = 0
    for j in range(d):
        if (pattern >> j) & 1 == 0:
            coef[m + 1] = coef[m]
            for s in range(m, 0, -1):
                coef[s] = coef[s] * z[j] + coef[s - 1]
            coef[0] = coef[0] * z[j]
            m += 1
    for k in range(d):
        prod_failed = 1.0
        for j in range(d):
            if j != k and (pattern >> j) & 1 == 1:
                prod_failed *= z[j]
        if (pattern >> k) & 1 == 0:
            # Divide Q by (z_k + t): the polynomial of the other satisfied slots (degree m - 1).
            quot[m - 1] = coef[m]
            for s in range(m - 1, 0, -1):
                quot[s - 1] = coef[s] - z[k] * quot[s]
            total = 0.0
            for s in range(m):
                total += quot[s] * w[s]
            out[k] = value * (1.0 - z[k]) * prod_failed * total
        else:
            total = 0.0
            for s in range(m + 1):
                total += coef[s] * w[s]
            out[k] = value * (0.0 - z[k]) * prod_failed * total


@numba.njit(cache=True)
def _fill_leaf_tables(leaf_d, leaf_z, leaf_value, weights, offsets, table):
    max_d = leaf_z.shape[1]
    coef = np.empty(max_d + 2)
    quot = np.empty(max_d + 2)
    out = np.empty(max_d + 1)
    for leaf in range(leaf_d.shape[0]):
        off = offsets[leaf]
        if off < 0:
            continue
        d = leaf_d[leaf]
        for pattern in range(1 << d):
            _leaf_phi(leaf_z[leaf], d, pattern, leaf_value[leaf], weights[d], coef, quot, out)
            for k in range(d):
                table[off + pattern * d + k] = out[k]


@numba.njit(cache=True, nogil=True)
def _leaf_pattern(leaf, outcome, edge_start, edge_bit, edge_left, edge_slot):
    """Bit k set = the row fails a split on the leaf's slot k; ``outcome`` bit b = split b went left
    (trees with at most 63 splits)."""
    pattern = 0
    for e in range(edge_start[leaf], edge_start[leaf + 1]):
        if ((outcome >> edge_bit[e]) & 1) != edge_left[e]:
            pattern |= 1 << edge_slot[e]
    return pattern


@numba.njit(cache=True)
def _fill_tree_tables(leaf_start, n_splits, n_tfeat, tree_offsets, leaf_d, leaf_z, leaf_value, weights,
                      leaf_tree_slot, edge_start, edge_bit, edge_left, edge_slot, tree_table):
    max_d = leaf_z.shape[1]
    coef = np.empty(max_d + 2)
    quot = np.empty(max_d + 2)
    out = np.empty(max_d + 1)
    for t in range(n_splits.shape[0]):
        off = tree_offsets[t]
        if off < 0:
            continue
        u = n_tfeat[t]
        for outcome in range(1 << n_splits[t]):
            row = off + outcome * u
            for leaf in range(leaf_start[t], leaf_start[t + 1]):
                d = leaf_d[leaf]
                if d == 0:
                    continue
                pattern = _leaf_pattern(leaf, outcome, edge_start, edge_bit, edge_left, edge_slot)
                _leaf_phi(leaf_z[leaf], d, pattern, leaf_value[leaf], weights[d], coef, quot, out)
                for k in range(d):
                    tree_table[row + leaf_tree_slot[leaf, k]] += out[k]


@numba.njit(cache=True, parallel=True, nogil=True)
def _contribs_kernel(X, node_feature, node_threshold, node_default_left, split_start, split_node,
                     tree_feature_start, tree_feature, tree_table_offset, tree_table, leaf_start, leaf_d,
                     leaf_features, leaf_z, leaf_value, weights, edge_start, edge_bit, edge_left, edge_slot,
                     table_offset, table, max_splits, n_chunks, phi):
    n_rows = X.shape[0]
    n_trees = split_start.shape[0] - 1
    max_d = leaf_z.shape[1]
    chunk = (n_rows + n_chunks - 1) // n_chunks
    for c in numba.prange(n_chunks):
        coef = np.empty(max_d + 2)
        quot = np.empty(max_d + 2)
        out = np.empty(max_d + 1)
        went = np.empty(max_splits, dtype=np.uint8)
        # Trees outside, a block of rows inside: the tree's table stays in cache while the block's
        # rows of X and phi (a few hundred KB) stay in the next level.
        stop = min(n_rows, (c + 1) * chunk)
        for r0 in range(c * chunk, stop, _BLOCK):
            for t in range(n_trees):
                for i in range(r0, min(stop, r0 + _BLOCK)):
                    s0 = split_start[t]
                    n_split = split_start[t + 1] - s0
                    off = tree_table_offset[t]
                    if off >= 0:
                        # Outcome of every split of the tree for this row, one bit each (1 = went left).
                        outcome = 0
                        for b in range(n_split):
                            g = split_node[s0 + b]
                            x = X[i, node_feature[g]]
                            left = node_default_left[g] == 1 if math.isnan(x) else x < node_threshold[g]
                            if left:
                                outcome |= 1 << b
                        fs = tree_feature_start[t]
                        u = tree_feature_start[t + 1] - fs
                        row = off + outcome * u
                        for k in range(u):
                            phi[i, tree_feature[fs + k]] += tree_table[row + k]
                        continue
                    for b in range(n_split):
                        g = split_node[s0 + b]
                        x = X[i, node_feature[g]]
                        went[b] = node_default_left[g] if math.isnan(x) else (1 if x < node_threshold[g] else 0)
                    for leaf in range(leaf_start[t], leaf_start[t + 1]):
                        d = leaf_d[leaf]
                        if d == 0:
                            continue
                        pattern = 0
                        for e in range(edge_start[leaf], edge_start[leaf + 1]):
                            if went[edge_bit[e]] != edge_left[e]:
                                pattern |= 1 << edge_slot[e]
                        loff = table_offset[leaf]
                        if loff >= 0:
                            base = loff + pattern * d
                            for k in range(d):
                                phi[i, leaf_features[leaf, k]] += table[base + k]
                        else:
                            _leaf_phi(leaf_z[leaf], d, pattern, leaf_value[leaf], weights[d], coef, quot, out)
                            for k in range(d):
                                phi[i, leaf_features[leaf, k]] += out[k]


def ensemble_contribs(ens: CompiledEnsemble, X: np.ndarray) -> np.ndarray:
    """SHAP values (rows x features, float64) of ``X`` (float32, NaN = missing); bias is ``ens.bias``."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    if X.ndim != 2 or X.shape[1] != ens.n_features:
        raise ValueError(f"X must have {ens.n_features} columns, got shape {X.shape}")
    phi = np.zeros((X.shape[0], ens.n_features), dtype=np.float64)
    if X.shape[0] == 0:
        return phi
    # Several chunks per thread so that a slow chunk does not leave a core idle.
    n_chunks = max(1, min(X.shape[0], numba.get_num_threads() * 8))
    _contribs_kernel(X, ens.node_feature, ens.node_threshold, ens.node_default_left, ens.split_start,
                     ens.split_node, ens.tree_feature_start, ens.tree_feature, ens.tree_table_offset, ens.tree_table,
                     ens.leaf_start, ens.leaf_d, ens.leaf_features, ens.leaf_z, ens.leaf_value, ens.weights,
                     ens.edge_start, ens.edge_bit, ens.edge_left, ens.edge_slot, ens.table_offset, ens.table,
                     ens.max_splits, n_chunks, phi)
    return phi
