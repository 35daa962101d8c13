# Task: scatter_matrix_plot (PandasPlotBench style) - pairwise scatter matrix of an iris-like table.
# expect: ok
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

# Three species, four measurements each
rng = np.random.default_rng(19)
means = {"setosa": [5.0, 3.4, 1.5, 0.2], "versicolor": [5.9, 2.8, 4.3, 1.3], "virginica": [6.6, 3.0, 5.6, 2.0]}
frames = []
for species, mu in means.items():
    block = pd.DataFrame(rng.normal(mu, 0.35, size=(300, 4)),
                         columns=["sepal_length", "sepal_width", "petal_length", "petal_width"])
    block["species"] = species
    frames.append(block)
iris = pd.concat(frames, ignore_index=True)
print(iris.groupby("species").mean().round(2))

# Scatter matrix coloured by species
colours = iris["species"].map({"setosa": "tab:blue", "versicolor": "tab:orange", "virginica": "tab:green"})
axes = pd.plotting.scatter_matrix(iris.drop(columns="species"), c=colours, figsize=(9, 9), alpha=0.5,
                                  diagonal="hist", s=8)
plt.suptitle("Iris-like measurements")
plt.show()

# Which pair of measurements separates the species best (ratio of between to within variance)
ratios = {}
for col in iris.columns[:4]:
    grouped = iris.groupby("species")[col]
    ratios[col] = grouped.mean().var() / grouped.var().mean()
pd.Series(ratios).sort_values(ascending=False).round(2)
