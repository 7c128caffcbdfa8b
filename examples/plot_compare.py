"""
Which loss suits my data? ``compare`` and its recommendation
============================================================

``focal-gbm compare`` as a library call: cross-validate cross entropy,
class-weighted cross entropy and focal loss, and get a recommendation that
accounts for the fold-to-fold noise, with the estimator that implements it.
Here on the built-in 90:10 dataset with a small budget (3 folds, at most 60
rounds) so that the example runs in seconds.
"""

# %%
import matplotlib.pyplot as plt

from focal_gbm.comparison import compare, figure
from focal_gbm.datasets import make_imbalanced

X, y = make_imbalanced(2000, random_state=0)
result = compare(X, y, folds=3, max_rounds=60)
print(result.table())

# %%
# The recommendation comes with an unfitted estimator: fit it on all rows.
print(result.recommended.reason)
print(type(result.recommended.estimator).__name__, result.recommended.params)
model = result.recommended.estimator.fit(X, y)

# %%
# The figure ``focal-gbm compare --plot`` saves: each bar panel coloured by its
# own paired test, and the reliability of cross entropy and of a focal
# candidate's focal and posterior probabilities.
fig = figure(result, "built-in 90:10 dataset, XGBoost", plt)
