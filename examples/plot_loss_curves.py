"""
What focal loss does to the loss
================================

Focal loss multiplies cross entropy by ``(1 - p_t)^gamma``, where ``p_t`` is
the probability the model gives the true class: examples it already gets
right count little, so boosting spends its trees on the hard ones.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from focal_gbm import FocalLoss

p_t = np.linspace(0.01, 0.99, 400)
margin = np.log(p_t) - np.log1p(-p_t)  # a positive example (y = 1) given probability p_t


def loss(gamma):
    return FocalLoss(gamma=gamma).loss(np.ones_like(p_t), margin)


fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
axes[0].plot(p_t, loss(0.0), label="cross entropy (gamma = 0)")
axes[0].plot(p_t, loss(3.0), label="focal loss (gamma = 3)")
axes[0].set_title("Focal loss ignores what is already right")
for gamma in (0.0, 0.5, 1.0, 2.0, 5.0):
    axes[1].plot(p_t, loss(gamma), label=f"gamma = {gamma:g}")
axes[1].set_title("Focal loss for several gammas")
for ax in axes:
    ax.set_xlabel("p_t (probability of the true class)")
    ax.set_ylabel("loss of one example")
    ax.legend()
fig.tight_layout()

# %%
# At ``p_t = 0.9`` (an easy example) focal loss with gamma 2 is 100 times
# smaller than cross entropy; at ``p_t = 0.1`` (a hard one) only 1.2 times.
for value in (0.9, 0.1):
    z = np.log(value / (1 - value))
    ratio = (FocalLoss(gamma=0.0).loss([1.0], [z]) / FocalLoss(gamma=2.0).loss([1.0], [z]))[0]
    print(f"p_t = {value}: cross entropy / focal loss = {ratio:.1f}")
