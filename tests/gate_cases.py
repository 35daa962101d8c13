"""The gate's tables of statements, shared by the pure test and the real-kernel test.

A row is ``(setup, statement, category, transformed)``: ``setup`` is zero or more harmless one-line
statements the program runs first (imports, bindings: the gate must follow them), ``statement`` is
what is checked, written as a model would (IPython syntax included), and ``transformed`` is
``statement`` after IPython's ``transform_cell`` when it differs (so the pure test needs no IPython).
No module here imports IPython.
"""

from __future__ import annotations

from typing import NamedTuple


class Case(NamedTuple):
    setup: str
    statement: str
    category: str  # for HARMLESS rows: ""
    transformed: str | None = None
    kernel: bool = True  # False: pure test only (needs a module never loaded, or would spoil the kernel)

    @property
    def code(self) -> str:
        """What the gate sees (IPython-transformed)."""
        return self.transformed or self.statement

    @property
    def guardable(self) -> bool:
        """Can the kernel test put it under ``if _probe:`` (so it never really runs)?"""
        automagic = bool(self.transformed) and not self.statement.startswith(("%", "!")) and (
            "run_line_magic" in (self.transformed or "")
        )
        return not self.statement.startswith("%%") and not automagic


def _magic(name: str, line: str) -> str:
    return f"get_ipython().run_line_magic({name!r}, {line!r})"


_DF = "import pandas as pd\ndf = pd.DataFrame({'a': [1, 2, 3], 'b': [4.0, 5.0, 6.0]})"
_FRAME = "import pandas as pd\nframe = pd.concat([pd.DataFrame({'a': [1]})])"  # a call's result
_FIG = "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()"

HELD: list[Case] = [
    # ---- processes and shell ----
    Case("import os", 'os.system("true")', "process"),
    Case("import os as o", 'o.popen("true")', "process"),
    Case("from os import system as s", 's("true")', "process"),
    Case("import os\no2 = os", 'o2.system("true")', "process"),
    Case("import os\nos = os", 'os.system("true")', "process"),
    Case("import pathlib", 'pathlib.os.system("true")', "process"),
    Case("import pandas as pd", 'pd.io.common.os.system("true")', "process"),
    Case("import tempfile", 'tempfile._os.system("true")', "process"),
    Case("import platform", 'platform.os.popen("true")', "process"),
    Case("from subprocess import *", 'getoutput("true")', "process"),
    Case("from os import *", 'system("true")', "process", kernel=False),  # would shadow open() there
    Case("", "%cp a b", "process", _magic("cp", "a b")),
    Case("import subprocess", 'subprocess.run(["true"])', "process"),
    Case("import subprocess as sp", 'sp.Popen(["true"])', "process"),
    Case("import os", 'os.execv("/bin/true", ["true"])', "process"),
    Case("import os", "os.kill(os.getpid(), 0)", "process"),
    Case("import pty", 'pty.spawn("true")', "process"),
    Case("import multiprocessing", "multiprocessing.Process(target=print)", "process"),
    Case("import asyncio", 'await asyncio.create_subprocess_exec("true")', "process"),
    Case("ip = get_ipython()", 'ip.system("true")', "process"),
    Case("", 'get_ipython().system_raw("true")', "process"),
    Case("", "!true", "process", "get_ipython().system('true')"),
    Case("", "listing = !ls", "process", "listing = get_ipython().getoutput('ls')"),
    Case("", "%sx true", "process", _magic("sx", "true")),
    Case("", "%pip --version", "process", _magic("pip", "--version")),
    # what IPython's automagic makes of a bare `rm x` in a one-line cell; eager code, like a multi-line
    # cell, gets no automagic (there it is a SyntaxError, which runs nothing): the pure test only
    Case("", "rm no_such_file", "process", _magic("rm", "no_such_file"), kernel=False),
    Case("", "mkdir made_by_automagic", "process", _magic("mkdir", "made_by_automagic"), kernel=False),
    Case("", "%%bash\necho hi", "process", "get_ipython().run_cell_magic('bash', '', 'echo hi\\n')"),
    Case("", "%%script sh\necho hi", "process", "get_ipython().run_cell_magic('script', 'sh', 'echo hi\\n')"),
    Case("import os", "%timeit -n1 -r1 os.system('true')", "process",
         _magic("timeit", "-n1 -r1 os.system('true')")),
    Case("import os", 'os.environ["EAGER_GATE_TEST"] = "1"', "process"),
    # ---- file writes and deletes ----
    Case("", 'f = open("out.txt", "w")', "files"),
    Case("", 'open("out.txt", "a").write("x")', "files"),
    Case("mode = 'w'", 'open("out.txt", mode)', "files"),
    Case("", 'open("out.txt", "W".lower())', "files"),
    Case("import io", 'io.open("out.bin", "wb")', "files"),
    Case("import os", 'os.open("out.txt", os.O_WRONLY | os.O_CREAT)', "files"),
    Case("import pathlib", 'pathlib.Path("out.txt").write_text("hi")', "files"),
    Case("from pathlib import Path\np = Path('out.txt')", "p.unlink()", "files"),
    Case("from pathlib import Path", 'Path("d").mkdir()', "files"),
    Case("from pathlib import Path", 'Path("out.txt").open("w")', "files"),
    Case("import os", 'os.remove("out.txt")', "files"),
    Case("import os", 'os.makedirs("a/b", exist_ok=True)', "files"),
    Case("import os", 'os.rename("a", "b")', "files"),
    Case("import shutil", 'shutil.rmtree("d")', "files"),
    Case("import shutil", 'shutil.copy("a", "b")', "files"),
    Case(_DF, 'df.to_csv("out.csv")', "files"),
    Case(_DF, 'df.to_parquet("out.parquet")', "files"),
    Case("import pandas as pd\nser = pd.Series([1, 2])", 'ser.to_json("out.json")', "files"),
    Case("import pandas as pd", 'pd.read_csv("data.csv").to_excel("out.xlsx")', "files"),
    Case(_FRAME + "\nwriter = frame.to_csv", 'writer("out.csv")', "files"),
    Case(_FRAME, 'getattr(frame, "to_csv")("out.csv")', "files"),
    Case("import numpy as np\narr = np.arange(3)", 'np.savetxt("out.txt", arr)', "files"),
    Case("import numpy as np\narr = np.arange(3)", 'np.save("out.npy", arr)', "files"),
    Case("import numpy as np\narr = np.arange(3)", 'arr.tofile("out.bin")', "files"),
    Case(_FIG, 'fig.savefig("out.png")', "files"),
    Case("import matplotlib.pyplot as plt", 'plt.savefig("out.png")', "files"),
    Case("import pickle", 'pickle.dump([1], open("out.pkl", "wb"))', "files"),
    Case("import io\nimport json\nfp = io.StringIO()", 'json.dump({"a": 1}, fp)', "files"),
    Case("import zipfile", 'zipfile.ZipFile("out.zip", "w")', "files"),
    Case("import tarfile", 'tarfile.open("out.tar", "w")', "files"),
    Case("import tempfile", "tempfile.mkdtemp()", "files"),
    Case("", 'def save(frame):\n    frame.to_csv("x.csv")', "files"),
    Case("", "%%writefile out.py\nx = 1", "files",
         "get_ipython().run_cell_magic('writefile', 'out.py', 'x = 1\\n')"),
    Case("", "%save out.py 1", "files", _magic("save", "out.py 1")),
    Case("", "%logstart", "files", _magic("logstart", "")),
    # ---- network ----
    Case("import urllib.request", 'urllib.request.urlopen("http://127.0.0.1:9")', "network"),
    Case("from urllib.request import urlopen as fetch", 'fetch("http://127.0.0.1:9")', "network"),
    Case("import requests", 'requests.get("http://127.0.0.1:9")', "network"),
    Case("import http.client", 'http.client.HTTPConnection("127.0.0.1", 9)', "network"),
    Case("import httpx", 'httpx.get("http://127.0.0.1:9")', "network"),
    Case("import socket", 'socket.create_connection(("127.0.0.1", 9))', "network"),
    Case("import smtplib", 'smtplib.SMTP("127.0.0.1", 9)', "network"),
    Case("import ftplib", 'ftplib.FTP("127.0.0.1")', "network"),
    Case("import webbrowser", 'webbrowser.open("http://example.com")', "network"),
    Case("import ssl", "ssl.create_default_context()", "network"),
    Case("import pandas as pd", 'pd.read_csv("https://example.com/data.csv")', "network"),
    Case("import aiohttp", "aiohttp.ClientSession()", "network"),
    Case("import asyncio", 'await asyncio.open_connection("127.0.0.1", 9)', "network"),
    # ---- dynamic code and imports ----
    Case("import importlib", 'importlib.import_module("os")', "dynamic"),
    Case("import sys", 'sys.modules["os"].system("true")', "dynamic"),
    Case("import sys", 'sys.path.insert(0, "/tmp")', "dynamic"),
    Case("", 'getattr(__builtins__, "ev" + "al")("1")', "dynamic"),
    Case("import builtins", 'builtins.exec("1")', "dynamic"),
    Case("import builtins", 'builtins.open("out.txt")', "dynamic"),
    Case("", '__builtins__.__import__("os")', "dynamic"),
    Case("import pickle", 'pickle.loads(b"")', "dynamic"),
    Case("import marshal", 'marshal.loads(b"")', "dynamic"),
    Case("import ctypes", "ctypes.CDLL(None)", "dynamic"),
    Case("", 'exec("x = 1")', "dynamic"),
    Case("", 'eval("1 + 1")', "dynamic"),
    Case("", 'compile("1", "f", "eval")', "dynamic"),
    Case("", '__import__("os")', "dynamic"),
    Case("", 'globals()["x"] = 1', "dynamic"),
    Case("", 'vars()["x"] = 1', "dynamic"),
    Case("name = 'sys' + 'tem'\nimport os", 'getattr(os, name)("true")', "dynamic"),
    Case("", 'setattr(object(), "x" + "y", 1)', "dynamic"),
    Case("", "type(1).__subclasses__()", "dynamic"),
    Case("", "(lambda: 1).__globals__", "dynamic"),
    Case("import gc", "gc.get_objects()", "dynamic"),
    Case("import operator", 'operator.methodcaller("system", "true")', "dynamic"),
    Case("import sys", "sys._getframe().f_globals", "dynamic"),
    Case("", 'get_ipython().run_cell("x = 1")', "dynamic"),
    Case("", 'get_ipython().ex("x = 1")', "dynamic"),
    Case("ip = get_ipython()", 'ip.run_code(None)', "dynamic"),
    Case("", "%run nothing.py", "dynamic", _magic("run", "nothing.py")),
    Case("", "%load nothing.py", "dynamic", _magic("load", "nothing.py")),
    Case("", "%load_ext autoreload", "dynamic", _magic("load_ext", "autoreload")),
    Case("", "%prun x = 1", "dynamic", _magic("prun", "x = 1")),
    Case("", "%reset -f", "dynamic", _magic("reset", "-f")),
    Case("", '%time y = eval("1")', "dynamic", _magic("time", 'y = eval("1")')),
    # ---- the environment's secrets ----
    Case("import os", 'key = os.environ["OPENAI_API_KEY"]', "secrets"),
    Case("import os", 'os.getenv("ANTHROPIC_API_KEY")', "secrets"),
    Case("import os", 'os.environ.get("GITHUB_TOKEN")', "secrets"),
    Case("import os", 'os.environb[b"DB_PASSWORD"]', "secrets"),
    Case("import os", "dict(os.environ)", "secrets"),
    Case("import os", "os.environ.copy()", "secrets"),
    Case("import os", "for k, v in os.environ.items():\n    print(k)", "secrets"),
    Case("import os\nvar = 'HOME'.lower()", "os.environ[var]", "secrets"),
    Case("import os as o", "print(o.environ)", "secrets"),
    Case("from os import environ as env", 'env["AWS_SECRET_ACCESS_KEY"]', "secrets"),
    Case("", "%env", "secrets", _magic("env", "")),
    # ---- this extension's settings ----
    Case("", '%config Eager.gate = "off"', "settings", _magic("config", 'Eager.gate = "off"')),
    Case("", "get_ipython().config", "settings"),
    Case("from eager_jupyter.magic import Eager", 'Eager.gate = "off"', "settings"),
    Case("import eager_jupyter", "eager_jupyter.load_ipython_extension(get_ipython())", "settings"),
    # ---- threads and signals ----
    Case("import threading", "threading.Thread(target=print).start()", "threads"),
    Case("import time", "time.sleep(0.01)", "threads"),
    Case("import os", "os.getpid()", "process"),
    Case("import signal", "signal.alarm(0)", "threads"),
    Case("import signal", "signal.signal(signal.SIGINT, signal.default_int_handler)", "threads"),
    Case("from concurrent.futures import ThreadPoolExecutor", "ThreadPoolExecutor(2)", "threads"),
    # ---- magics not on the list, and what cannot be resolved ----
    Case("", "%alias_magic t timeit", "magic", _magic("alias_magic", "t timeit")),
    Case("", "%tb", "magic", _magic("tb", "")),
    Case("", 'get_ipython().run_line_magic("s" + "x", "true")', "magic"),
    Case("from gate_test_missing_module import *", "mystery()", "unknown", kernel=False),
]

HARMLESS: list[Case] = [
    Case("import numpy as np", "a = np.arange(10)", ""),
    Case("import numpy as np\na = np.arange(10)", "m = a.mean()", ""),
    Case("import numpy as np\na = np.arange(10)", "b = a.reshape(2, 5).T", ""),
    Case("import numpy as np", "rng = np.random.default_rng(0)", ""),
    Case("import numpy as np\nrng = np.random.default_rng(0)", "x = rng.normal(size=100)", ""),
    Case("import numpy as np", "c = np.linalg.inv(np.eye(3))", ""),
    Case("import numpy as np", "np.random.seed(0)", ""),
    Case("import numpy as np", "s = np.std([1, 2, 3])", ""),
    Case("import numpy as np", "loaded = np.loadtxt(['1 2', '3 4'])", ""),
    Case("import pandas as pd", "df = pd.DataFrame({'a': [1, 2, 3], 'b': [4.0, 5.0, 6.0]})", ""),
    Case(_DF, "df.head()", ""),
    Case(_DF, "display(df.tail(2))", ""),
    Case(_DF, "df.describe()", ""),
    Case(_DF, "g = df.groupby('a')['b'].sum()", ""),
    Case(_DF, "df['c'] = df['a'] * 2", ""),
    Case(_DF, "df = df.rename(columns={'b': 'x'})", ""),
    Case(_DF, "df2 = df.replace(1, 10)", ""),
    Case(_DF, "df.sort_values('b', ascending=False)", ""),
    Case(_DF, "df.merge(df, on='a')", ""),
    Case(_DF, "df.pivot_table(index='a', values='b')", ""),
    Case(_DF, "csv_text = df.to_csv()", ""),
    Case(_DF, "df.to_dict()", ""),
    Case(_DF, "df.to_string()", ""),
    Case(_DF, "df.dropna().reset_index(drop=True)", ""),
    Case(_DF, "df.loc[df['a'] > 1, 'b']", ""),
    Case(_DF, "df.apply(lambda r: r['a'] + r['b'], axis=1)", ""),
    Case(_DF, "df.value_counts()", ""),
    Case(_DF, "df.a.sum()", ""),
    Case("import pandas as pd", "data = pd.read_csv('data.csv')", ""),
    Case("import pandas as pd", "pd.set_option('display.max_rows', 20)", ""),
    Case("import pandas as pd", "pd.options.display.precision = 3", ""),
    Case("import numpy as np\nimport pandas as pd", "pd.Series(np.arange(5)).rolling(2).mean()", ""),
    Case(_FIG, "ax.plot([1, 2, 3], [3, 1, 2])", ""),
    Case(_FIG, "ax.set_title('t')", ""),
    Case("import matplotlib.pyplot as plt", "plt.xlabel('x')", ""),
    Case("import matplotlib.pyplot as plt", "counts = plt.hist([1, 2, 2, 3])", ""),
    Case("import matplotlib.pyplot as plt", "plt.show()", ""),
    Case("import matplotlib", "matplotlib.rcParams['figure.figsize'] = (6, 4)", ""),
    Case("", "with open('data.csv') as f:\n    text = f.read()", ""),
    Case("", "lines = open('data.csv', 'r').readlines()", ""),
    Case("from pathlib import Path", "text = Path('data.csv').read_text()", ""),
    Case("from pathlib import Path", "exists = Path('data.csv').exists()", ""),
    Case("import os", "files = os.listdir('.')", ""),
    Case("import os", "joined = os.path.join('a', 'b')", ""),
    Case("import os", "here = os.getcwd()", ""),
    Case("import os", "home = os.environ.get('HOME')", ""),
    Case("import time", "t0 = time.perf_counter()", ""),
    Case("import time", "now = time.time()", ""),
    Case("import math", "r = math.sqrt(2)", ""),
    Case("import statistics", "statistics.mean([1, 2, 3])", ""),
    Case("from collections import Counter", "cnt = Counter('hello').most_common(2)", ""),
    Case("import itertools", "pairs = list(itertools.combinations([1, 2, 3], 2))", ""),
    Case("import re", r"words = re.findall(r'\w+', 'a b c')", ""),
    Case("import json", "cfg = json.loads('{\"a\": 1}')", ""),
    Case("import datetime", "d = datetime.date(2024, 1, 1).isoformat()", ""),
    Case("import io", "buf = io.StringIO()", ""),
    Case("import io\nbuf = io.StringIO()", "buf.write('x')", ""),
    Case("import sys", "print(sys.version_info)", ""),
    Case("import sys", "sys.stdout.write('x\\n')", ""),
    Case("", "print('hello')", ""),
    Case("def square(x): return x * x", "y = square(3)", ""),
    Case("", "class Point:\n    def __init__(self, x):\n        self.x = x", ""),
    Case("", "squares = [i * i for i in range(10)]", ""),
    Case("d = {'a': 1}", "d.update(b=2)", ""),
    Case("xs = [3, 1, 2]", "xs.remove(3)", ""),
    Case("", "items = sorted({'b': 2, 'a': 1}.items())", ""),
    Case("", "%time total = sum(range(1000))", "", _magic("time", "total = sum(range(1000))")),
    Case("", "%timeit -n 1 -r 1 sum(range(10))", "", _magic("timeit", "-n 1 -r 1 sum(range(10))")),
    Case("", "%matplotlib inline", "", _magic("matplotlib", "inline")),
    Case("", "%who", "", _magic("who", "")),
    Case("", "%pwd", "", _magic("pwd", "")),
    Case("", "%precision 3", "", _magic("precision", "3")),
    Case("", "%config InlineBackend.figure_format = 'png'", "",
         _magic("config", "InlineBackend.figure_format = 'png'")),
]
