# Task: err_regression_shapes (DSBench style) - polynomial regression; predicts with a mis-shaped matrix.
# expect: ValueError
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

# Noisy measurements of a smooth response
rng = np.random.default_rng(21)
x = np.sort(rng.uniform(-3, 3, 600_000))
y = 0.5 * x ** 3 - x ** 2 + 2 * x + rng.normal(0, 2.0, x.size)

# Cross-validated choice of the polynomial degree
folds = np.array_split(rng.permutation(x.size), 5)
cv = {}
for degree in range(1, 9):
    errors = []
    for k in range(5):
        test_idx = folds[k]
        train_idx = np.concatenate([folds[j] for j in range(5) if j != k])
        coef = np.polyfit(x[train_idx], y[train_idx], degree)
        errors.append(np.mean((np.polyval(coef, x[test_idx]) - y[test_idx]) ** 2))
    cv[degree] = np.mean(errors)
print(pd.Series(cv).round(4))

# Refit the best degree with an explicit Vandermonde matrix
best = min(cv, key=cv.get)
V = np.vander(x, best + 1)
coef, *_ = np.linalg.lstsq(V, y, rcond=None)
print(f"degree {best}: {np.round(coef, 3)}")

# Predict on a grid (the grid matrix has one column too few)
grid = np.linspace(-3, 3, 300)
fitted = np.vander(grid, best) @ coef
print(fitted[:5])

# Plot the data and the fit
fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(x[::200], y[::200], s=3, alpha=0.4)
ax.plot(grid, fitted, color="red")
ax.set_title(f"Polynomial fit, degree {best}")
plt.show()

# Residual summary by region of x
resid = y - V @ coef
pd.Series(resid).groupby(pd.cut(x, 6)).agg(["mean", "std"]).round(3)
