# Task: knn_classifier (DSBench style) - k-nearest-neighbours on digits-like data, accuracy by k.
# expect: ok
import numpy as np
import pandas as pd

# Ten classes in 64 dimensions, like 8x8 digit images
rng = np.random.default_rng(18)
prototypes = rng.uniform(0, 16, size=(10, 64))
labels = rng.integers(0, 10, 18_000)
images = prototypes[labels] + rng.normal(0, 7, size=(18_000, 64))

# Train/test split
X_train, y_train = images[:15_000], labels[:15_000]
X_test, y_test = images[15_000:], labels[15_000:]

# Squared distances from every test image to every training image
d2 = (X_test ** 2).sum(axis=1)[:, None] - 2 * X_test @ X_train.T + (X_train ** 2).sum(axis=1)[None, :]
neighbours = np.argsort(d2, axis=1)[:, :25]
print(d2.shape)

# Majority vote for several k
def predict(k):
    votes = y_train[neighbours[:, :k]]
    return np.array([np.bincount(row, minlength=10).argmax() for row in votes])

results = pd.DataFrame({"k": [1, 3, 5, 9, 15, 25]})
results["accuracy"] = [(predict(k) == y_test).mean() for k in results["k"]]
print(results)

# Confusion matrix for the best k
best_k = int(results.loc[results["accuracy"].idxmax(), "k"])
confusion = pd.crosstab(pd.Series(y_test, name="true"), pd.Series(predict(best_k), name="predicted"))
confusion
