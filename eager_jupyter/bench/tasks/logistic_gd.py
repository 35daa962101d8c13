# Task: logistic_gd (DSBench style) - logistic regression by gradient descent, accuracy and AUC.
# expect: ok
import numpy as np
import pandas as pd

# A binary classification problem with 20 features
rng = np.random.default_rng(7)
n, p = 500_000, 20
X = rng.normal(size=(n, p))
true_w = rng.normal(0, 1, p) * (rng.random(p) < 0.5)
y = (rng.random(n) < 1 / (1 + np.exp(-(X @ true_w - 0.3)))).astype(float)
print(f"positives: {y.mean():.3f}")

# Standardise and split
X = (X - X.mean(axis=0)) / X.std(axis=0)
split = int(0.8 * n)
X_train, X_test, y_train, y_test = X[:split], X[split:], y[:split], y[split:]

def sigmoid(z):
    return 1 / (1 + np.exp(-z))

# Full-batch gradient descent with L2 regularisation
w, b, lr, lam = np.zeros(p), 0.0, 0.5, 1e-3
history = []
for step in range(500):
    prob = sigmoid(X_train @ w + b)
    grad_w = X_train.T @ (prob - y_train) / len(y_train) + lam * w
    grad_b = (prob - y_train).mean()
    w -= lr * grad_w
    b -= lr * grad_b
    if step % 50 == 0:
        loss = -np.mean(y_train * np.log(prob + 1e-12) + (1 - y_train) * np.log(1 - prob + 1e-12))
        history.append((step, loss))
print(pd.DataFrame(history, columns=["step", "loss"]).round(4))

# Accuracy and AUC on the test set
scores = sigmoid(X_test @ w + b)
accuracy = ((scores > 0.5) == y_test).mean()
order = np.argsort(scores)
ranks = np.empty(len(scores))
ranks[order] = np.arange(1, len(scores) + 1)
pos = y_test == 1
auc = (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())
print(f"accuracy {accuracy:.3f}, AUC {auc:.3f}")

# Compare learned and true weights
pd.DataFrame({"true": true_w, "learned": w}).round(2).head(10)
