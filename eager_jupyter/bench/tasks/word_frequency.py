# Task: word_frequency (DABench style) - word and bigram counts over a corpus of support tickets.
# expect: ok
import re
from collections import Counter

import numpy as np
import pandas as pd

# Generate ticket texts from a small vocabulary
rng = np.random.default_rng(10)
vocab = ("the login page fails after update password reset email not received app crashes when "
         "opening settings payment declined card refund please help slow loading screen error "
         "message account locked cannot sync data export broken").split()
weights = rng.dirichlet(np.ones(len(vocab)) * 0.6)
tickets = [" ".join(rng.choice(vocab, size=rng.integers(8, 30), p=weights)) for _ in range(150_000)]
print(tickets[0])

# Tokenise and count words
word_re = re.compile(r"[a-z]+")
words = Counter()
bigrams = Counter()
for text in tickets:
    tokens = word_re.findall(text.lower())
    words.update(tokens)
    bigrams.update(zip(tokens, tokens[1:]))

# Top words and bigrams
top_words = pd.DataFrame(words.most_common(10), columns=["word", "count"])
print(top_words)
top_bigrams = pd.DataFrame([(" ".join(k), v) for k, v in bigrams.most_common(10)], columns=["bigram", "count"])
print(top_bigrams)

# Tickets mentioning a crash or an error, by length
df = pd.DataFrame({"text": tickets})
df["length"] = df["text"].str.split().str.len()
df["crash"] = df["text"].str.contains("crashes|error")
df.groupby(pd.cut(df["length"], [0, 12, 18, 24, 30]), observed=True)["crash"].mean().round(3)
