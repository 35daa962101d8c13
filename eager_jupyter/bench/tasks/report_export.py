# Task: report_export (DABench style) - summarise inventory data and write the report files to disk.
# expect: ok
import os

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

# Inventory snapshot across warehouses
rng = np.random.default_rng(24)
n = 200_000
stock = pd.DataFrame({
    "sku": rng.integers(10_000, 60_000, n),
    "warehouse": rng.choice(["AMS", "BER", "MAD", "WAW"], n),
    "on_hand": rng.poisson(40, n),
    "reorder_point": rng.integers(10, 60, n),
    "unit_cost": rng.lognormal(2.5, 0.7, n).round(2),
})
stock["value"] = stock["on_hand"] * stock["unit_cost"]
print(stock.describe().round(1))

# Stock value per warehouse and the SKUs below their reorder point
value = stock.groupby("warehouse")["value"].sum().div(1e6).round(2)
low = stock[stock["on_hand"] < stock["reorder_point"]]
print(value)
print(f"{len(low)} rows below reorder point")

# Write the report to an output folder
os.makedirs("report", exist_ok=True)
value.to_csv(os.path.join("report", "value_by_warehouse.csv"))
low.sort_values("on_hand").head(1_000).to_csv(os.path.join("report", "reorder.csv"), index=False)

# A bar chart of the value per warehouse, saved next to the tables
fig, ax = plt.subplots(figsize=(6, 4))
value.plot.bar(ax=ax, color="tab:green")
ax.set_ylabel("million EUR")
ax.set_title("Stock value by warehouse")
fig.savefig(os.path.join("report", "value.png"), dpi=100)

# List what was written
sorted(os.listdir("report"))
