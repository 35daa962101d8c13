# Task: bootstrap_ci (statistics) - bootstrap confidence intervals for the median and a trimmed mean.
# expect: ok
import numpy as np
import pandas as pd

# Skewed response times, in milliseconds
rng = np.random.default_rng(5)
times = rng.lognormal(mean=4.0, sigma=0.6, size=100_000)
print(f"n={times.size}, median={np.median(times):.2f} ms, mean={times.mean():.2f} ms")

# Bootstrap the median: 3,000 resamples of the full sample
n_boot = 3_000
medians = np.empty(n_boot)
for b in range(n_boot):
    sample = rng.choice(times, size=times.size, replace=True)
    medians[b] = np.median(sample)

lo, hi = np.percentile(medians, [2.5, 97.5])
print(f"median 95% CI: [{lo:.2f}, {hi:.2f}]")

# A 10% trimmed mean, bootstrapped the same way
def trimmed_mean(x, cut=0.1):
    x = np.sort(x)
    k = int(len(x) * cut)
    return x[k:len(x) - k].mean()

trimmed = np.array([trimmed_mean(rng.choice(times, size=times.size)) for _ in range(1_000)])
print(f"trimmed mean 95% CI: {np.percentile(trimmed, [2.5, 97.5]).round(2)}")

# Summary table
pd.DataFrame({
    "statistic": ["median", "trimmed mean"],
    "estimate": [np.median(times), trimmed_mean(times)],
    "ci_low": [lo, np.percentile(trimmed, 2.5)],
    "ci_high": [hi, np.percentile(trimmed, 97.5)],
}).round(2)
