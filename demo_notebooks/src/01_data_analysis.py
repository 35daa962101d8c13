# %% [markdown]
# # Data analysis with `%%eager`
#
# A short analysis of a year of bike-share rides: **load, clean, aggregate, model, plot**. Each step is
# a request in plain words. `%%eager` sends it to Claude and runs every top-level statement of the reply
# **as soon as it is complete**, while the rest of the reply is still being written: the first results
# appear before the code is finished, and the code is finished sooner than it would run as a whole.
#
# **Where the code comes from.**
# - With `ANTHROPIC_API_KEY` set in the kernel's environment, each request cell asks Claude. Its answers
#   will not be word for word the ones saved in `traces/`.
# - Without a key, each request cell replays a trace shipped in `traces/` instead. **These traces were
#   written by hand for this demo, not recorded from a model**: each one is the kind of reply a model
#   gives (a sentence, a ```` ```python ```` block, a sentence), timed as if a model were writing it at
#   about 70 tokens a second. Their header says `"origin": "written"`, and every run's header in this
#   notebook names its source: `trace … (written)` or the model's name.
#
# The replies are Markdown: only the Python block runs; the sentences around it are shown as text.

# %%
%load_ext eager_jupyter

# %%
import os

HAVE_KEY = bool(os.environ.get("ANTHROPIC_API_KEY"))


def source(step):
    """The options of a request cell: ask Claude when there is a key, else replay the written trace."""
    return "" if HAVE_KEY else f"--replay-trace traces/analysis_{step}.jsonl"


if HAVE_KEY:
    print("ANTHROPIC_API_KEY is set: each request goes to Claude")
else:
    print("no ANTHROPIC_API_KEY: replaying the traces in traces/ (written by hand, not recorded from a model)")

# %% [markdown]
# ## 1. Load
#
# The magic line below reads `%%eager {source("1_load")}`. IPython expands `{expression}` in a magic's
# line before the magic sees it, so the same cell asks Claude when there is a key (the line is then just
# `%%eager`) and replays `traces/analysis_1_load.jsonl` when there is none. The cell's body is the
# request.

# %%
%%eager {source("1_load")}
Load data/bike_rentals.csv into a DataFrame called `rides` (parse the dates) and show me what is in it.

# %% [markdown]
# ## 2. Clean
#
# The summary shows more rows than days in a year, ride counts of `-1` (a counter that was down) and
# missing temperatures.

# %%
%%eager {source("2_clean")}
Clean `rides`: one row per day indexed by date, negative ride counts as missing, short gaps in the
temperature filled, and a `weekend` column.

# %% [markdown]
# ## 3. Aggregate

# %%
%%eager {source("3_aggregate")}
How do rides vary over the year, month by month, and between weekdays and weekends?

# %% [markdown]
# ## 4. Model

# %%
%%eager {source("4_model")}
Fit a linear model of daily rides on temperature, rain and the weekend flag. How good is it?

# %% [markdown]
# ## 5. Plot
#
# A figure built over a dozen statements still appears once, complete, as it would in an ordinary cell.

# %%
%%eager {source("5_plot")}
Plot rides against temperature with the model's lines for weekdays and weekends, next to the monthly
averages.

# %% [markdown]
# ## What happened during the last request
#
# After every run, `_eager` holds its record: the code, each statement with the moment its last
# character was written, and when it started and finished running. Every time is in seconds since the
# request was sent. Statements started while later ones were still being written.

# %%
import pandas as pd

print(_eager)
pd.DataFrame(
    [
        {
            "line": s.line,
            "statement": s.code.strip().splitlines()[0][:60],
            "written at": s.generated_at,
            "started": s.started_at,
            "finished": s.finished_at,
        }
        for s in _eager.statements
    ]
).round(2)

# %% [markdown]
# With a key, add `--record traces/mine.jsonl` to a request cell to keep Claude's reply, with its real
# timing, and replay it later offline with `--replay-trace traces/mine.jsonl`.
