# Task: merge_orders (DABench style) - join orders, customers and products, then revenue by segment.
# expect: ok
import numpy as np
import pandas as pd

# Three tables, as from a small shop's database
rng = np.random.default_rng(17)
customers = pd.DataFrame({
    "customer_id": np.arange(20_000),
    "segment": rng.choice(["consumer", "corporate", "home office"], 20_000, p=[0.6, 0.25, 0.15]),
    "country": rng.choice(["FR", "DE", "ES", "IT", "NL"], 20_000),
})
products = pd.DataFrame({
    "product_id": np.arange(800),
    "category": rng.choice(["furniture", "office", "tech"], 800),
    "price": rng.uniform(3, 900, 800).round(2),
})
orders = pd.DataFrame({
    "order_id": np.arange(400_000),
    "customer_id": rng.integers(0, 20_000, 400_000),
    "product_id": rng.integers(0, 800, 400_000),
    "quantity": rng.integers(1, 6, 400_000),
    "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, 400_000), unit="D"),
})

# Join everything onto the orders
full = orders.merge(customers, on="customer_id", how="left").merge(products, on="product_id", how="left")
full["revenue"] = full["quantity"] * full["price"]
print(full.shape)

# Revenue by segment and category
print(full.pivot_table(index="segment", columns="category", values="revenue", aggfunc="sum").div(1e6).round(2))

# Monthly revenue per country
monthly = full.groupby([full["date"].dt.to_period("M"), "country"])["revenue"].sum().unstack()
print(monthly.div(1e6).round(2).head())

# Customers with the highest lifetime value
ltv = full.groupby("customer_id")["revenue"].sum().nlargest(10)
customers.set_index("customer_id").loc[ltv.index].assign(ltv=ltv.round(0))
