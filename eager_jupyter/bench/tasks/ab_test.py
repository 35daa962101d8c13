# Task: ab_test (statistics) - conversion A/B test: z-test, permutation test and a sequential look.
# expect: ok
import numpy as np
import pandas as pd

# Visitors assigned to two variants
rng = np.random.default_rng(12)
n_a, n_b = 40_000, 40_000
conv_a = rng.random(n_a) < 0.050
conv_b = rng.random(n_b) < 0.054
print(f"A: {conv_a.mean():.4f}, B: {conv_b.mean():.4f}")

# Two-proportion z-test
p_pool = (conv_a.sum() + conv_b.sum()) / (n_a + n_b)
se = np.sqrt(p_pool * (1 - p_pool) * (1 / n_a + 1 / n_b))
z = (conv_b.mean() - conv_a.mean()) / se
print(f"z = {z:.3f}")

# Permutation test of the difference in conversion rates
observed = conv_b.mean() - conv_a.mean()
pooled = np.concatenate([conv_a, conv_b]).astype(np.int8)
diffs = np.empty(4_000)
for i in range(diffs.size):
    perm = rng.permutation(pooled)
    diffs[i] = perm[n_a:].mean() - perm[:n_a].mean()
p_value = (np.abs(diffs) >= abs(observed)).mean()
print(f"permutation p-value: {p_value:.4f}")

# Cumulative difference as the test ran (a sequential look every 2,000 visitors)
checkpoints = np.arange(2_000, n_a + 1, 2_000)
looks = pd.DataFrame({
    "visitors": checkpoints,
    "rate_a": [conv_a[:k].mean() for k in checkpoints],
    "rate_b": [conv_b[:k].mean() for k in checkpoints],
})
looks["lift"] = looks["rate_b"] / looks["rate_a"] - 1
looks.tail(5).round(4)
