# Task: kmeans_clusters (DSBench style) - k-means from scratch on customer features, pick k by inertia.
# expect: ok
import numpy as np
import pandas as pd

# Customer features drawn from five blobs
rng = np.random.default_rng(6)
centres = rng.uniform(-10, 10, size=(5, 4))
points = np.vstack([c + rng.normal(0, 1.5, size=(30_000, 4)) for c in centres])
rng.shuffle(points)
print(points.shape)

def kmeans(x, k, iters=25, seed=0):
    r = np.random.default_rng(seed)
    cent = x[r.choice(len(x), k, replace=False)]
    for _ in range(iters):
        d = ((x[:, None, :] - cent[None, :, :]) ** 2).sum(axis=2)
        labels = d.argmin(axis=1)
        cent = np.array([x[labels == j].mean(axis=0) if (labels == j).any() else cent[j] for j in range(k)])
    inertia = d[np.arange(len(x)), labels].sum()
    return labels, cent, inertia

# Inertia for k = 2..7 (the elbow)
inertias = {k: kmeans(points, k)[2] for k in range(2, 8)}
print({k: round(v / 1e3, 1) for k, v in inertias.items()})

# Fit the chosen k and describe the clusters
labels, cent, _ = kmeans(points, 5)
clusters = pd.DataFrame(points, columns=["recency", "frequency", "monetary", "tenure"])
clusters["cluster"] = labels
clusters.groupby("cluster").agg(["mean", "size"]).round(2).iloc[:, :5]
