"""The gate's tables: which functions, methods and modules carry which capability.

Everything here is keyed by *canonical* names, the ``module.qualname`` an object says it has (``os.system``
is ``posix.system`` and reads as ``os.system`` after :data:`MODULE_ALIASES`; ``DataFrame.to_csv`` is
``pandas.core.generic.NDFrame.to_csv``), so a capability is found however the code spelled its way to
it. Three tables, looked up in this order by :func:`lookup` (the first hit wins):

1. :data:`SAFE`: names that only read (``os.path``, ``os.listdir``, ``shutil.which``), by dotted prefix.
2. :data:`FUNCTIONS`: exact canonical names (``builtins.eval``, ``json.dump``, ``io.open``).
3. :data:`METHODS`: per top-level package, method or function names wherever they are defined inside
   it (``pandas`` ``to_csv``, ``matplotlib`` ``savefig``, ``pathlib`` ``write_text``).
4. :data:`MODULES`: whole modules by dotted prefix (``subprocess``, ``socket``, ``requests``, ``os``
   and ``sys`` for what :data:`SAFE` does not list).

A capability is *unconditional* (any reference is held) or carries a ``check`` naming the argument
test the call site must pass (``open``'s mode, ``os.getenv``'s variable name, a pandas writer's path):
:mod:`.check` applies those. :data:`UNKNOWN_RECEIVER` is the list of method names held when the type of
the receiver cannot be found (``df.to_csv(...)`` before ``df`` exists).

Validate a change with ``tests/test_gate.py`` (its held and harmless tables name each entry's use).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "CATEGORIES",
    "FUNCTIONS",
    "METHODS",
    "MODULES",
    "SAFE",
    "SECRET_NAME",
    "UNKNOWN_RECEIVER",
    "Cap",
    "lookup",
    "normalize",
]


def _words(text: str) -> list[str]:
    return text.split()

PROCESS, FILES, NETWORK, DYNAMIC = "process", "files", "network", "dynamic"
SECRETS, SETTINGS, THREADS, MAGIC, UNKNOWN, CONFIG = (
    "secrets", "settings", "threads", "magic", "unknown", "config"
)

#: category -> what the user reads
CATEGORIES: dict[str, str] = {
    PROCESS: "runs a process or shell command",
    FILES: "writes or deletes files",
    NETWORK: "uses the network",
    DYNAMIC: "runs or imports code dynamically",
    SECRETS: "reads the environment's secrets",
    SETTINGS: "changes this extension's settings",
    THREADS: "waits, starts threads or handles signals",
    MAGIC: "magic not on the list of harmless magics",
    UNKNOWN: "cannot tell what this calls",
    CONFIG: "on the configured deny list",
}


@dataclass(frozen=True, slots=True)
class Cap:
    category: str
    check: str | None = None  # None: held wherever it is reached; else the call-site test to pass
    arg: int = 0  # the checked argument's position (for a call through an instance: after self)
    keyword: str = ""  # ... or its keyword


#: C modules that stand for a public one (``os.system.__module__ == "posix"``)
MODULE_ALIASES: dict[str, str] = {
    "posix": "os", "nt": "os", "_io": "io", "_socket": "socket", "_ssl": "ssl", "_pickle": "pickle",
    "_thread": "threading", "_signal": "signal", "_posixsubprocess": "subprocess", "_ctypes": "ctypes",
    "_frozen_importlib": "importlib", "_frozen_importlib_external": "importlib", "_imp": "importlib",
    "_winapi": "subprocess", "_multiprocessing": "multiprocessing", "_asyncio": "asyncio",
    "_pyio": "io", "_bz2": "bz2", "_lzma": "lzma", "_gdbm": "dbm", "_dbm": "dbm",
}

_OS_SAFE = (
    "path sep altsep extsep pathsep linesep curdir pardir defpath devnull name getcwd getcwdb cpu_count "
    "listdir scandir walk fwalk stat lstat fstat fspath fsencode fsdecode getuid geteuid "
    "getgid getegid getlogin uname times get_terminal_size terminal_size urandom PathLike DirEntry "
    "stat_result access isatty strerror get_exec_path supports_fd supports_follow_symlinks "
    "supports_dir_fd supports_effective_ids process_cpu_count error "
    "F_OK R_OK W_OK X_OK SEEK_SET SEEK_CUR SEEK_END O_RDONLY"
)
_SYS_SAFE = (
    "version version_info platform maxsize maxunicode float_info int_info hash_info byteorder "
    "implementation executable getsizeof getrecursionlimit getdefaultencoding getfilesystemencoding "
    "stdout stderr exc_info exception argv api_version prefix base_prefix exec_prefix flags "
    "float_repr_style copyright hexversion thread_info getrefcount intern last_exc last_value "
    "builtin_module_names stdlib_module_names"
)

#: read-only names inside held modules, by dotted prefix
SAFE: frozenset[str] = frozenset(
    [f"os.{n}" for n in _OS_SAFE.split()]
    + [f"sys.{n}" for n in _SYS_SAFE.split()]
    + [
        "shutil.which", "shutil.disk_usage", "shutil.get_terminal_size", "shutil.get_archive_formats",
        "shutil.get_unpack_formats", "shutil.COPY_BUFSIZE",
        "tempfile.gettempdir", "tempfile.gettempdirb", "tempfile.gettempprefix",
        "IPython.core.interactiveshell.InteractiveShell.get_ipython", "IPython.core.getipython",
        "IPython.get_ipython", "ipykernel.iostream",
        "IPython.core.interactiveshell.InteractiveShell._tee",  # the shell's tee on sys.stdout.write
        "IPython.display", "IPython.core.display",
        "IPython.core.display_functions", "IPython.lib.display",
        "IPython.lib.pretty", "IPython.core.formatters", "IPython.utils.text",
        "urllib.parse", "urllib.error", "http.HTTPStatus", "signal.Signals", "signal.SIGINT",
        "threading.current_thread", "threading.get_ident", "threading.active_count", "threading.main_thread",
        "threading.Lock", "threading.RLock", "threading.local",
        "multiprocessing.cpu_count", "multiprocessing.current_process",
        "socket.gethostname", "inspect.signature", "inspect.getsource", "inspect.getdoc",
        "inspect.isclass", "inspect.isfunction", "inspect.getmembers_static",
    ]
)

_ENV = Cap(SECRETS, "env", 0, "key")
_MODE1 = Cap(FILES, "mode", 1, "mode")
#: exact canonical names
FUNCTIONS: dict[str, Cap] = {
    **{f"builtins.{n}": Cap(DYNAMIC) for n in
       _words("exec eval compile __import__ globals vars locals breakpoint __build_class__")},
    "builtins.getattr": Cap(DYNAMIC, "attrname", 1, ""),
    "builtins.setattr": Cap(DYNAMIC, "attrname", 1, ""),
    "builtins.delattr": Cap(DYNAMIC, "attrname", 1, ""),
    **{f"os.{n}": Cap(FILES) for n in _words(
        "remove unlink rename renames replace rmdir removedirs mkdir makedirs chmod lchmod fchmod chown "
        "lchown fchown link symlink truncate ftruncate write pwrite writev utime mkfifo mknod sendfile "
        "copy_file_range chflags lchflags"
    )},
    "io.open": _MODE1,
    "io.FileIO": _MODE1,
    "os.fdopen": _MODE1,
    "codecs.open": _MODE1,
    "gzip.open": _MODE1, "gzip.GzipFile": _MODE1, "bz2.open": _MODE1, "bz2.BZ2File": _MODE1,
    "lzma.open": _MODE1, "lzma.LZMAFile": _MODE1,
    "tarfile.open": _MODE1, "tarfile.TarFile.open": _MODE1,
    "zipfile.ZipFile": _MODE1,
    "os.open": Cap(FILES, "osflags", 1, "flags"),
    "os.getenv": _ENV, "os.getenvb": _ENV,
    "os.environ": Cap(SECRETS, "environ"), "os.environb": Cap(SECRETS, "environ"),
    "json.dump": Cap(FILES), "pickle.dump": Cap(FILES), "pickle.Pickler": Cap(FILES),
    "marshal.dump": Cap(FILES),
    "pickle.load": Cap(DYNAMIC), "pickle.loads": Cap(DYNAMIC), "pickle.Unpickler": Cap(DYNAMIC),
    "copyreg.constructor": Cap(DYNAMIC),
    "operator.attrgetter": Cap(DYNAMIC), "operator.methodcaller": Cap(DYNAMIC),
    "types.FunctionType": Cap(DYNAMIC), "types.CodeType": Cap(DYNAMIC), "builtins.function": Cap(DYNAMIC),
    "builtins.code": Cap(DYNAMIC),
    "gc.get_objects": Cap(DYNAMIC), "gc.get_referrers": Cap(DYNAMIC), "gc.get_referents": Cap(DYNAMIC),
    "inspect.currentframe": Cap(DYNAMIC), "inspect.stack": Cap(DYNAMIC), "inspect.trace": Cap(DYNAMIC),
    "inspect.getouterframes": Cap(DYNAMIC), "inspect.getmembers": Cap(DYNAMIC),
    "concurrent.futures.process.ProcessPoolExecutor": Cap(PROCESS),
    "concurrent.futures.thread.ThreadPoolExecutor": Cap(THREADS),
    "concurrent.futures.ProcessPoolExecutor": Cap(PROCESS),  # lazy names of the package
    "concurrent.futures.ThreadPoolExecutor": Cap(THREADS),
    "sqlite3.connect": Cap(FILES), "dbm.open": Cap(FILES),
    "yaml.load": Cap(DYNAMIC), "yaml.unsafe_load": Cap(DYNAMIC), "yaml.load_all": Cap(DYNAMIC),
    "numpy.load": Cap(DYNAMIC, "pickle"),
    "numpy.memmap": Cap(FILES),
    "asyncio.open_connection": Cap(NETWORK), "asyncio.start_server": Cap(NETWORK),
    "asyncio.streams.open_connection": Cap(NETWORK), "asyncio.streams.start_server": Cap(NETWORK),
    "asyncio.open_unix_connection": Cap(NETWORK),
    "asyncio.create_subprocess_exec": Cap(PROCESS), "asyncio.create_subprocess_shell": Cap(PROCESS),
    "asyncio.to_thread": Cap(THREADS),
    "asyncio.threads.to_thread": Cap(THREADS),
    "logging.FileHandler": Cap(FILES), "logging.basicConfig": Cap(FILES, "kw", 0, "filename"),
    "atexit.register": Cap(DYNAMIC),
    "time.sleep": Cap(THREADS),  # the paper's list holds timing; the clock reads (time.time) run
}

_PANDAS_TEXT = Cap(FILES, "path", 0, "path_or_buf")  # returns text when given no path
_FILES = Cap(FILES)
#: per top-level package: method or function names, wherever in the package they are defined
METHODS: dict[str, dict[str, Cap]] = {
    "pathlib": {
        **{n: _FILES for n in _words(
            "write_text write_bytes unlink rename replace rmdir mkdir touch chmod lchmod symlink_to "
            "hardlink_to link_to copy copytree move delete rmtree"
        )},
        "open": Cap(FILES, "mode", 0, "mode"),
    },
    "pandas": {
        **{n: _PANDAS_TEXT for n in _words("to_csv to_json to_html to_latex to_markdown to_xml to_string")},
        **{n: _FILES for n in _words(
            "to_excel to_parquet to_pickle to_hdf to_sql to_feather to_stata to_clipboard to_orc "
            "ExcelWriter HDFStore"
        )},
        "read_pickle": Cap(DYNAMIC),
        **{f"read_{n}": Cap(NETWORK, "url", 0, "filepath_or_buffer") for n in
           _words("csv table json html xml excel parquet feather fwf stata sas spss orc")},
    },
    "numpy": {
        **{n: _FILES for n in _words("save savez savez_compressed savetxt tofile dump")},
        **{n: Cap(NETWORK, "url", 0, "fname") for n in _words("loadtxt genfromtxt fromregex")},
    },
    "matplotlib": {n: _FILES for n in _words("savefig imsave save print_figure PdfPages")},
    "PIL": {"save": _FILES},
    "zipfile": {n: _FILES for n in _words("write writestr extract extractall mkdir")},
    "tarfile": {n: _FILES for n in _words("add addfile extract extractall")},
    "joblib": {"dump": _FILES, "load": Cap(DYNAMIC)},
    "torch": {"save": _FILES, "load": Cap(DYNAMIC)},
    "scipy": {n: _FILES for n in _words("savemat mmwrite wavfile.write")},
}

#: whole modules, by dotted prefix of the canonical name (modules of the "eager_jupyter" family:
#: this extension's own objects)
MODULES: dict[str, str] = {
    **{m: PROCESS for m in _words(
        "subprocess os pty pexpect sh plumbum asyncio.subprocess multiprocessing concurrent.futures.process "
        "resource posix nt jupyter_client ipykernel.kernelapp"
    )},
    **{m: FILES for m in _words("shutil tempfile shelve dbm fileinput")},
    **{m: NETWORK for m in _words(
        "socket ssl urllib urllib3 http.client http.server http.cookiejar requests httpx aiohttp websocket "
        "websockets smtplib ftplib poplib imaplib nntplib telnetlib xmlrpc socketserver webbrowser "
        "antigravity paramiko zmq grpc boto3 botocore openai anthropic sqlalchemy asyncio.streams "
        "ipykernel.comm email.mime.application"
    )},
    **{m: DYNAMIC for m in _words(
        "sys importlib imp runpy pkgutil zipimport code codeop ctypes cffi marshal dill cloudpickle "
        "IPython ipykernel pickletools"
    )},
    **{m: THREADS for m in _words("threading signal _thread concurrent.futures.thread sched")},
    **{m: SETTINGS for m in _words("eager_jupyter traitlets.config")},
}

#: top-level modules the table knows: an attribute path through one of these (``pathlib.os.system``,
#: ``tempfile._os``) is re-rooted there when the module in front of it cannot be looked at
TABLE_ROOTS: frozenset[str] = frozenset(
    {k.split(".")[0] for k in (*FUNCTIONS, *MODULES, *METHODS)} | {"builtins"}
)

#: held on a receiver whose type is unknown (it is not in the namespace yet): writers, deleters,
#: process and network calls, dynamic imports; checked the same way when they carry a check
UNKNOWN_RECEIVER: dict[str, Cap] = {
    **{n: _PANDAS_TEXT for n in _words("to_csv to_json to_html to_latex to_markdown to_xml")},
    **{n: _FILES for n in _words(
        "to_excel to_parquet to_pickle to_hdf to_sql to_feather to_stata to_clipboard to_orc savefig save "
        "savez savetxt tofile dump write writelines write_text write_bytes unlink rmdir mkdir makedirs "
        "touch chmod symlink_to hardlink_to rmtree extractall writestr"
    )},
    "open": Cap(FILES, "mode", 0, "mode"),
    **{n: Cap(PROCESS) for n in _words(
        "system popen spawn kill terminate send_signal subprocess_exec "
        "subprocess_shell getoutput system_raw system_piped"
    )},
    **{n: Cap(NETWORK) for n in _words(
        "urlopen urlretrieve sendall sendto connect create_connection "
        "open_connection start_server"
    )},
    **{n: Cap(DYNAMIC) for n in _words(
        "import_module exec_module load_module run_cell run_code ex ev "
        "run_line_magic run_cell_magic __import__"
    )},
    "getenv": _ENV,
}

#: attribute names that reach into an object's internals (a way around every table above)
INTERNALS: frozenset[str] = frozenset(
    _words(
        "__dict__ __globals__ __builtins__ __subclasses__ __getattribute__ __getattr__ __setattr__ "
        "__delattr__ __code__ __closure__ __func__ __self__ __import__ __loader__ __spec__ __bases__ "
        "__base__ __mro__ __reduce__ __reduce_ex__ __init_subclass__ __subclasshook__ __kwdefaults__ "
        "__defaults__ __wrapped__ f_globals f_locals f_builtins f_back f_code gi_frame cr_frame ag_frame "
        "tb_frame tb_next func_globals"
    )
)

#: environment variable names taken for secrets
SECRET_NAME = re.compile(
    r"KEY|TOKEN|SECRET|PASS|PWD|CRED|AUTH|COOKIE|SESSION|PRIVATE|CERT|SIGNATURE|DSN|CONN", re.I
)


def normalize(dotted: str) -> str:
    """``posix.system`` -> ``os.system``; ``_os.popen`` -> ``os.popen``."""
    root, dot, rest = dotted.partition(".")
    alias = MODULE_ALIASES.get(root)
    if alias is None and root.startswith("_") and root[1:] in TABLE_ROOTS:
        alias = root[1:]
    return f"{alias}{dot}{rest}" if alias else dotted


def _prefixes(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def lookup(canonical: str) -> Cap | None:
    """The capability of a canonical name, or None when it has none."""
    prefixes = _prefixes(canonical)
    accessor = canonical[:8] == "IPython." and canonical[-12:] == ".get_ipython"
    if accessor or any(p in SAFE for p in prefixes):
        return None  # the shell's own accessor: what it returns is followed as the shell
    cap = FUNCTIONS.get(canonical)
    if cap is not None:
        return cap
    root, _, rest = canonical.partition(".")
    names = METHODS.get(root)
    if names is not None and rest:
        cap = names.get(rest.rsplit(".", 1)[-1])
        if cap is not None:
            return cap
    for prefix in prefixes:
        category = MODULES.get(prefix)
        if category is not None:
            return Cap(category)
    return None
