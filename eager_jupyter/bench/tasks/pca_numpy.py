# Task: pca_numpy (DSBench style) - principal components of a wide gene-expression-like matrix.
# expect: ok
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

# 4,000 samples x 300 features driven by 6 latent factors
rng = np.random.default_rng(16)
latent = rng.normal(size=(4_000, 6))
loadings = rng.normal(size=(6, 300))
expr = latent @ loadings + rng.normal(0, 1.0, size=(4_000, 300))
groups = np.where(latent[:, 0] > 0, "case", "control")

# Centre and scale, then SVD
Z = (expr - expr.mean(axis=0)) / expr.std(axis=0)
U, S, Vt = np.linalg.svd(Z, full_matrices=False)
explained = S ** 2 / (S ** 2).sum()
print(pd.Series(explained[:10], index=[f"PC{i + 1}" for i in range(10)]).round(4))

# How many components for 90% of the variance
k90 = int(np.searchsorted(np.cumsum(explained), 0.9)) + 1
print(f"components for 90% variance: {k90}")

# Scores on the first two components
scores = pd.DataFrame(U[:, :2] * S[:2], columns=["PC1", "PC2"])
scores["group"] = groups

# Scatter coloured by group, and the scree plot
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
for name, part in scores.groupby("group"):
    ax1.scatter(part["PC1"], part["PC2"], s=3, alpha=0.5, label=name)
ax1.legend()
ax1.set_title("PC1 vs PC2")
ax2.plot(np.arange(1, 31), explained[:30], marker="o")
ax2.set_title("Scree plot")
plt.show()
