"""LightGBM glue: train from the optimal starting margin and keep it in the model.

LightGBM's ``init_score`` lives on the Dataset: it is neither stored in the
model nor added by ``Booster.predict``, so a model trained from it predicts
margins that are off by the starting margin, silently. :func:`lightgbm_train`
adds the starting margin to the leaves of the first tree after training, so
the booster it returns carries it, in memory and in ``save_model`` files.

``lightgbm`` is imported inside the functions so that ``import focal_gbm``
works without it.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ._adapter import labels_and_weights
from ._booster import attach_fitted_alpha, margin_repeat
from ._lgbm_metrics import DatasetMetric, check_metric_task, metric_names
from ._validation import check_class_labels, check_labels
from .objective import FocalLoss, SoftmaxFocalLoss

# Header line of a built-in binary / multiclass model; a model trained with a
# callable objective has none, and LightGBM then returns raw scores from predict().
_BINARY_OBJECTIVE_LINE = "objective=binary sigmoid:1"
_MULTICLASS_OBJECTIVE_LINE = "objective=multiclass num_class:{}"


class NoObjectiveReset:
    """A ``lightgbm.train`` callback: the booster of a callable objective keeps its config.

    ``lightgbm.train`` creates the booster of a callable objective with
    ``objective="none"``, and ``Booster.update`` then resets it to ``"none"``
    again before the first round. That redundant reset changes the features
    the trees sample (with ``colsample_bytree < 1`` they differ from those of
    the built-in objective on the same gradients), re-checks the parameters
    without ``num_leaves`` (a spurious "Provided parameters constrain tree
    depth" warning) and aborts when pre-filtering left no feature. Before the
    first round this marks the booster as reset, as ``update`` itself would
    after the reset (LightGBM's private flag; where a LightGBM has none, its
    reset happens as before). A module-level class, so that it pickles (Dask).
    """

    before_iteration = True
    order = 0  # before any user callback

    def __call__(self, env) -> None:
        if env.iteration == env.begin_iteration and hasattr(env.model, _RESET_FLAG):
            setattr(env.model, _RESET_FLAG, True)


# lightgbm.Booster's name-mangled "__set_objective_to_none" (LightGBM 4.7 and
# its development head; tests/test_parent_calls.py notices if it goes).
_RESET_FLAG = "_Booster__set_objective_to_none"

_NUM_CLASS_ALIASES = ("num_class", "num_classes")


def _check_params(params: dict[str, Any], objective, y) -> dict[str, Any]:
    """A copy of ``params`` for ``lightgbm.train`` with ``objective`` (num_class set)."""
    params = dict(params)
    for alias in ("objective", "objective_type", "app", "application", "loss"):
        if alias in params:
            raise ValueError(
                f"params[{alias!r}] must not be set: the objective is the focal loss "
                "passed as objective="
            )
    given = next((params.pop(a) for a in _NUM_CLASS_ALIASES if a in params), None)
    if isinstance(objective, SoftmaxFocalLoss):
        n_classes = int(given or objective.known_n_classes() or int(np.max(y)) + 1)
        if n_classes < 2:
            raise ValueError(f"params['num_class'] must be at least 2, got {n_classes}")
        params["num_class"] = n_classes
    elif given not in (None, 1):
        raise ValueError("FocalLoss is a binary objective; params['num_class'] must be 1 "
                         "(use SoftmaxFocalLoss for multi-class labels)")
    return params


# LightGBM's parameters of distributed training, with their aliases.
_NETWORK_PARAMETERS = frozenset({
    "machines", "workers", "nodes", "local_listen_port", "local_port", "port",
    "num_machines", "num_machine", "machine_list_filename", "machine_list_file",
    "machine_list", "mlist", "time_out",
})


def _shift_linear_leaves(model: str, tree_index: int, value: float) -> str:
    """``model`` with ``value`` added to the leaf constants of a linear tree.

    A linear tree (``linear_tree=True``) predicts ``leaf_const`` plus its
    coefficients times the features, ``leaf_value`` only where one of them is
    missing; ``Booster.set_leaf_output`` changes ``leaf_value`` alone.
    """
    start = model.index(f"\nTree={tree_index}\n") + 1
    end = model.index("\n\n", start)
    block = model[start:end]
    constants = re.search(r"^leaf_const=(.*)$", block, flags=re.M)
    if constants is None:
        return model
    shifted = " ".join(repr(float(c) + value) for c in constants.group(1).split())
    new_block = block[:constants.start(1)] + shifted + block[constants.end(1):]
    # The header's tree_sizes gives each tree's length in bytes: this one's changes.
    sizes = re.search(r"^tree_sizes=(.*)$", model, flags=re.M)
    if sizes is not None:
        counts = sizes.group(1).split()
        counts[tree_index] = str(int(counts[tree_index]) + len(new_block) - len(block))
        model = model[:sizes.start(1)] + " ".join(counts) + model[sizes.end(1):]
        offset = len(" ".join(counts)) - len(sizes.group(1))
        start, end = start + offset, end + offset
    return model[:start] + new_block + model[end:]


def add_init_score(booster, init_score, *, probability_output: bool = True):
    """A copy of ``booster`` whose raw scores include the constant ``init_score``.

    The constant is added to every leaf of the first tree (of each class's
    first tree for multi-class models), which shifts every prediction by
    exactly that amount. With ``probability_output`` the copy also declares
    LightGBM's ``binary`` (or ``multiclass``) objective, so that ``predict``
    returns probabilities and ``predict(raw_score=True)`` margins, as for a
    model trained with the built-in objective; the file written by
    ``save_model`` loads anywhere LightGBM does.

    Parameters
    ----------
    booster : lightgbm.Booster
        A model trained from ``init_score`` (for instance through a Dataset's
        ``init_score``), with at least one iteration.
    init_score : float or array-like of shape (n_classes,)
        The starting margin that training used (one per class for multi-class).
    probability_output : bool, default=True
        Declare the ``binary`` objective (sigmoid output) or, for multi-class,
        ``multiclass`` (softmax output).

    Returns
    -------
    lightgbm.Booster
    """
    import lightgbm

    init_score = np.atleast_1d(np.asarray(init_score, dtype=np.float64))
    n_classes = booster.num_model_per_iteration()
    if init_score.size != n_classes:
        raise ValueError(
            f"init_score has {init_score.size} values but the booster has {n_classes} "
            "trees per iteration"
        )
    if booster.num_trees() < n_classes:
        raise ValueError("the booster has no tree to hold the starting margin")
    model = booster.model_to_string(num_iteration=-1)
    if probability_output:
        line = (_BINARY_OBJECTIVE_LINE if n_classes == 1
                else _MULTICLASS_OBJECTIVE_LINE.format(n_classes))
        model = re.sub(r"^objective=.*$\n?", "", model, count=1, flags=re.M)
        model = re.sub(
            r"^(max_feature_idx=.*)$", lambda m: m.group(1) + "\n" + line, model,
            count=1, flags=re.M,
        )
        # The parameters section too: LightGBM reads Booster.params from it, and
        # tools that accept a built-in binary / multiclass model (SHAP's
        # probability output, onnxmltools) check params["objective"], which a
        # callable objective leaves as "custom".
        name = "binary" if n_classes == 1 else "multiclass"
        model = re.sub(r"^\[objective: .*\]$", f"[objective: {name}]", model, count=1,
                       flags=re.M)
    for index, value in enumerate(init_score):  # the first iteration's trees
        model = _shift_linear_leaves(model, index, float(value))
    shifted = lightgbm.Booster(model_str=model)
    # The training parameters under the names they were given, as on a booster
    # lightgbm.train returns, besides the canonical ones read from the model;
    # the declared objective stays (the readers above check it). Not those of
    # distributed training: with its peers' addresses among its parameters,
    # the model of a lightgbm.dask fit hung afterwards.
    training = {name: value for name, value in booster.params.items()
                if name not in _NETWORK_PARAMETERS}
    if probability_output:
        training["objective"] = name
    shifted.params = {**shifted.params, **training}
    first_trees = shifted.dump_model(num_iteration=1)["tree_info"]
    for tree, value in zip(first_trees, init_score):
        index = tree["tree_index"]
        for leaf in range(tree["num_leaves"]):
            shifted.set_leaf_output(index, leaf, shifted.get_leaf_output(index, leaf) + value)
    shifted.best_iteration = booster.best_iteration
    shifted.best_score = booster.best_score
    return shifted


def lightgbm_train(
    params: dict[str, Any],
    train_set,
    num_boost_round: int = 100,
    *,
    objective: FocalLoss | SoftmaxFocalLoss,
    valid_sets=None,
    **kwargs,
):
    """``lightgbm.train`` with a focal objective, started from the optimal margin.

    The returned booster includes the starting margin and behaves like a
    model of LightGBM's built-in ``binary`` objective: ``predict`` returns
    probabilities, ``predict(raw_score=True)`` margins, and a saved model
    reloads with the same predictions. ``objective.metric`` (the focal loss)
    is passed as the last ``feval``. LightGBM's metrics named in
    ``params["metric"]`` (``"auc"``, ``"binary_logloss"``, ``"fair"``, ...,
    with their aliases and parameters) are computed by focal_gbm on the
    probabilities ``Booster.predict`` returns, as LightGBM computes them for
    its built-in objective, and reported first, in LightGBM's order
    (LightGBM's own would read raw scores as probabilities); early stopping
    follows LightGBM's rule (every metric, or the first with
    ``first_metric_only``).

    :class:`SoftmaxFocalLoss` trains a multi-class model (``num_class`` from
    ``params``, else from a per-class alpha, else the largest label + 1)
    that behaves like LightGBM's ``multiclass``. ``objective`` itself is not
    changed: ``alpha="balanced"`` is fixed on a copy from ``train_set``'s
    labels, and the returned Booster carries those class weights (as a Python
    attribute; LightGBM's files keep no extra data) for
    :func:`~focal_gbm.predict_posterior`.

    ``train_set`` and every Dataset in ``valid_sets`` get the starting margin
    as their ``init_score`` (so validation metrics see the same margins the
    model will predict); they keep it afterwards, as LightGBM's own
    ``init_model`` does.

    Parameters
    ----------
    params : dict
        LightGBM parameters, without an objective.
    train_set : lightgbm.Dataset
        Training data with labels in [0, 1] (class indices 0..k-1 for
        :class:`SoftmaxFocalLoss`) and optional weights.
    num_boost_round : int, default=100
        Boosting rounds.
    objective : FocalLoss or SoftmaxFocalLoss
        The focal loss to train with. ``alpha="balanced"`` is fixed from
        ``train_set``'s labels and weights (on a copy).
    valid_sets : list of lightgbm.Dataset, optional
        Validation data for ``callbacks`` such as ``lightgbm.early_stopping``.
    **kwargs
        Passed to ``lightgbm.train`` (``valid_names``, ``callbacks``, ...).

    Returns
    -------
    lightgbm.Booster

    Examples
    --------
    >>> import numpy as np, lightgbm as lgb
    >>> from focal_gbm import FocalLoss, lightgbm_train
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 3)); y = (X[:, 0] > 1.3).astype(float)
    >>> booster = lightgbm_train({"num_leaves": 7, "verbose": -1},
    ...                          lgb.Dataset(X, y), 20,
    ...                          objective=FocalLoss(gamma=2.0, alpha=0.25))
    >>> proba = booster.predict(X)  # probabilities, starting margin included
    >>> bool(((proba > 0) & (proba < 1)).all())
    True
    """
    import lightgbm

    if not isinstance(objective, (FocalLoss, SoftmaxFocalLoss)):
        raise TypeError(f"objective must be a FocalLoss or SoftmaxFocalLoss, got "
                        f"{type(objective).__name__}")
    if kwargs.get("init_model") is not None:
        raise ValueError(
            "init_model is not supported: its predictions already include a "
            "starting margin; call lightgbm.train directly to continue training"
        )
    # Checked here, before LightGBM builds the Datasets: building them turns
    # NaN labels into 0, so the objective and metric could not tell any more.
    check = check_class_labels if isinstance(objective, SoftmaxFocalLoss) else check_labels
    y, w = labels_and_weights(train_set)
    check(y, name="train_set's label")
    for i, dataset in enumerate(valid_sets or []):
        if dataset is not train_set:
            check(labels_and_weights(dataset)[0], name=f"valid_sets[{i}]'s label")
    if y.ndim != 1:
        raise ValueError("LightGBM trains one label column at a time; y must be 1-D")
    params = _check_params(params, objective, y)
    count = {"n_classes": params["num_class"]} if "num_class" in params else {}
    trained = objective.fitted_copy(y, w, **count)
    params["objective"] = trained
    named = metric_names(params.get("metric"))
    for name in named:
        check_metric_task(name, multiclass=isinstance(objective, SoftmaxFocalLoss))
    named = [DatasetMetric(name, params) for name in named]
    params["metric"] = "None"
    init_score = trained.init_score(y, w, **count)
    for dataset in [train_set, *(valid_sets or [])]:
        dataset.set_init_score(margin_repeat(init_score, dataset.get_label()))
    feval = kwargs.pop("feval", None)
    # In LightGBM's order: "built-in" metrics, then feval, here the focal metric last.
    feval = [*named, *(feval if isinstance(feval, list) else [feval] if feval else []),
             trained.metric]
    kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), NoObjectiveReset()]
    booster = lightgbm.train(
        params, train_set, num_boost_round, valid_sets=valid_sets, feval=feval, **kwargs
    )
    shifted = add_init_score(booster, init_score)
    attach_fitted_alpha(shifted, trained.fitted_alpha)
    return shifted
