# Task: histogram_gallery (PandasPlotBench style) - four distributions side by side with fitted normals.
# expect: ok
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

# Four measured quantities
rng = np.random.default_rng(11)
data = pd.DataFrame({
    "height_cm": rng.normal(172, 9, 4_000),
    "weight_kg": rng.lognormal(4.3, 0.18, 4_000),
    "resting_hr": rng.normal(66, 8, 4_000).round(),
    "steps_k": rng.gamma(4, 2.2, 4_000),
})
print(data.describe().round(1))

# A 2x2 grid of histograms with a normal curve for comparison
fig, axes = plt.subplots(2, 2, figsize=(10, 7))
for ax, column in zip(axes.flat, data.columns):
    values = data[column]
    ax.hist(values, bins=40, density=True, alpha=0.6, color="tab:blue")
    grid = np.linspace(values.min(), values.max(), 200)
    pdf = np.exp(-0.5 * ((grid - values.mean()) / values.std()) ** 2) / (values.std() * np.sqrt(2 * np.pi))
    ax.plot(grid, pdf, color="tab:red")
    ax.set_title(f"{column} (skew {values.skew():.2f})")
fig.suptitle("Health survey distributions")
fig.tight_layout()
plt.show()
