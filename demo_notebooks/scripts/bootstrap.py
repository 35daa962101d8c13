import numpy as np

rng = np.random.default_rng(1)
# a year of delivery times (minutes) at a busy depot: skewed, with a long tail
times = rng.lognormal(mean=3.2, sigma=0.6, size=8_000_000)
print(f"mean {times.mean():.1f} min, median {np.median(times):.1f} min")
# how sure can we be of the mean and the median from 20 000 deliveries? bootstrap both
sample = rng.choice(times, 20_000, replace=False)
means = np.array([rng.choice(sample, sample.size).mean() for _ in range(10_000)])
print("mean: 95% between {:.2f} and {:.2f} min".format(*np.percentile(means, [2.5, 97.5])))
medians = np.array([np.median(rng.choice(sample, sample.size)) for _ in range(4_000)])
print("median: 95% between {:.2f} and {:.2f} min".format(*np.percentile(medians, [2.5, 97.5])))
late = (times > 60).mean()
f"{late:.1%} of deliveries take over an hour"
