/* Airlock's binding to the Hyperscan C library (libhs, Debian's libhyperscan5).
 *
 * Why our own rather than the `hyperscan` wheel: the wheel statically links Vectorscan built
 * for baseline x86-64, calls a Python function for every match and parses keyword arguments on
 * every scan (0.48 us a call against 0.06 here). bench/throughput.py runs both side by side.
 *
 * What it does beyond hs_scan: a Scanner gathers the match ends of each pattern into runs
 * (ends closer than the pattern's gap join one run, kept as its first and last end) and turns
 * them into str indices, so the engine gets what it needs without a Python call per match.
 * Only block mode is used: a prompt is scanned whole.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <hs/hs.h>

static PyObject *Error;
static PyObject *CompileError;

/* ---------------------------------------------------------------- Database */

typedef struct {
    PyObject_HEAD
    hs_database_t *db;
} DatabaseObject;

static PyTypeObject DatabaseType;

static void database_dealloc(DatabaseObject *self) {
    hs_free_database(self->db);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static void raise_compile_error(hs_compile_error_t *failure) {
    PyObject *error = PyObject_CallFunction(CompileError, "s", failure->message);
    if (error != NULL) {
        PyObject *message = PyUnicode_FromString(failure->message);
        PyObject *index = PyLong_FromLong(failure->expression);
        if (message != NULL && index != NULL &&
            PyObject_SetAttrString(error, "message", message) == 0 &&
            PyObject_SetAttrString(error, "index", index) == 0) {
            PyErr_SetObject(CompileError, error);
        }
        Py_XDECREF(message);
        Py_XDECREF(index);
        Py_DECREF(error);
    }
    hs_free_compile_error(failure);
}

static int database_init(DatabaseObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"expressions", "flags", NULL};
    PyObject *expressions_arg, *flags_arg;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO:Database", keywords, &expressions_arg,
                                     &flags_arg)) {
        return -1;
    }
    PyObject *expressions = PySequence_Fast(expressions_arg, "expressions must be a sequence");
    if (expressions == NULL) {
        return -1;
    }
    PyObject *flags = PySequence_Fast(flags_arg, "flags must be a sequence");
    if (flags == NULL) {
        Py_DECREF(expressions);
        return -1;
    }
    int status = -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(expressions);
    const char **patterns = PyMem_Calloc(count ? count : 1, sizeof(char *));
    unsigned int *pattern_flags = PyMem_Calloc(count ? count : 1, sizeof(unsigned int));
    unsigned int *ids = PyMem_Calloc(count ? count : 1, sizeof(unsigned int));
    if (patterns == NULL || pattern_flags == NULL || ids == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (count == 0 || PySequence_Fast_GET_SIZE(flags) != count || count > UINT_MAX) {
        PyErr_SetString(PyExc_ValueError, "need one flags value per expression, and at least one");
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        char *pattern;
        Py_ssize_t length;
        if (PyBytes_AsStringAndSize(PySequence_Fast_GET_ITEM(expressions, i), &pattern, &length) < 0) {
            goto done;
        }
        if ((size_t)length != strlen(pattern)) {  /* Hyperscan takes C strings */
            PyErr_Format(PyExc_ValueError, "expression %zd holds a NUL byte", i);
            goto done;
        }
        unsigned long flag = PyLong_AsUnsignedLong(PySequence_Fast_GET_ITEM(flags, i));
        if (PyErr_Occurred()) {
            goto done;
        }
        patterns[i] = pattern;
        pattern_flags[i] = (unsigned int)flag;
        ids[i] = (unsigned int)i;
    }
    hs_database_t *db = NULL;
    hs_compile_error_t *failure = NULL;
    hs_error_t result;
    /* Compiling the full catalogue takes seconds: let the process's other threads run. */
    Py_BEGIN_ALLOW_THREADS
    result = hs_compile_multi(patterns, pattern_flags, ids, (unsigned int)count, HS_MODE_BLOCK,
                              NULL, &db, &failure);
    Py_END_ALLOW_THREADS
    if (result != HS_SUCCESS) {
        raise_compile_error(failure);
        goto done;
    }
    hs_free_database(self->db);
    self->db = db;
    status = 0;
done:
    PyMem_Free(patterns);
    PyMem_Free(pattern_flags);
    PyMem_Free(ids);
    Py_DECREF(expressions);
    Py_DECREF(flags);
    return status;
}

static PyObject *database_serialize(DatabaseObject *self, PyObject *unused) {
    char *bytes;
    size_t length;
    if (hs_serialize_database(self->db, &bytes, &length) != HS_SUCCESS) {
        PyErr_SetString(Error, "Hyperscan could not serialize the database");
        return NULL;
    }
    PyObject *blob = PyBytes_FromStringAndSize(bytes, (Py_ssize_t)length);
    free(bytes);  /* allocated by Hyperscan's default (malloc) allocator */
    return blob;
}

static PyObject *database_deserialize(PyObject *type, PyObject *blob) {
    char *bytes;
    Py_ssize_t length;
    if (PyBytes_AsStringAndSize(blob, &bytes, &length) < 0) {
        return NULL;
    }
    hs_database_t *db = NULL;
    hs_error_t result = hs_deserialize_database(bytes, (size_t)length, &db);
    if (result != HS_SUCCESS) {
        PyErr_Format(Error,
                     "Hyperscan cannot load this database (error %d): another library version "
                     "or CPU built it, or it is not a database",
                     result);
        return NULL;
    }
    DatabaseObject *database = (DatabaseObject *)((PyTypeObject *)type)->tp_alloc(
        (PyTypeObject *)type, 0);
    if (database == NULL) {
        hs_free_database(db);
        return NULL;
    }
    database->db = db;
    return (PyObject *)database;
}

static PyObject *database_info(DatabaseObject *self, void *unused) {
    char *info;
    if (hs_database_info(self->db, &info) != HS_SUCCESS) {
        PyErr_SetString(Error, "Hyperscan could not describe the database");
        return NULL;
    }
    PyObject *text = PyUnicode_FromString(info);
    free(info);
    return text;
}

static PyObject *database_size(DatabaseObject *self, void *unused) {
    size_t size;
    if (hs_database_size(self->db, &size) != HS_SUCCESS) {
        PyErr_SetString(Error, "Hyperscan could not size the database");
        return NULL;
    }
    return PyLong_FromSize_t(size);
}

static PyMethodDef database_methods[] = {
    {"serialize", (PyCFunction)database_serialize, METH_NOARGS,
     "The database as bytes, for Database.deserialize in a later process."},
    {"deserialize", (PyCFunction)database_deserialize, METH_O | METH_CLASS,
     "A database from Database.serialize's bytes; Error if this library or CPU cannot run it."},
    {NULL},
};

static PyGetSetDef database_getset[] = {
    {"info", (getter)database_info, NULL, "Hyperscan's version, CPU features and mode.", NULL},
    {"size", (getter)database_size, NULL, "The compiled database's size in bytes.", NULL},
    {NULL},
};

static PyTypeObject DatabaseType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "detectors.hyperscan_binding.Database",
    .tp_doc = "A block-mode Hyperscan database, compiled for this host's CPU.\n\n"
              "Database(expressions, flags): pattern i gets id i.",
    .tp_basicsize = sizeof(DatabaseObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)database_init,
    .tp_dealloc = (destructor)database_dealloc,
    .tp_methods = database_methods,
    .tp_getset = database_getset,
};

/* ---------------------------------------------------------------- Scanner */

typedef struct {
    unsigned int id;
    unsigned int end;
} Hit;

typedef struct {
    PyObject_HEAD
    DatabaseObject *database;
    hs_scratch_t *scratch;
    Py_ssize_t patterns;
    unsigned int *gaps;      /* per pattern id: ends this close (bytes) join one run */
    unsigned int *last_end;  /* per pattern id, during a scan: the last end of its last run */
    PyObject **runs;         /* per pattern id, during a scan: its runs, or NULL */
    unsigned int *order;     /* the pattern ids hit, in the order of their first hit */
    Hit *hits;               /* the scan's matches, as Hyperscan reported them */
    size_t hit_count, hit_capacity;
    unsigned int *chars;     /* byte offset -> str index, for text that is not ASCII */
    size_t chars_capacity;
    int busy;                /* a scan is running: the scratch belongs to it */
    int out_of_memory;
} ScannerObject;

static void scanner_dealloc(ScannerObject *self) {
    hs_free_scratch(self->scratch);
    Py_XDECREF(self->database);
    PyMem_Free(self->gaps);
    PyMem_Free(self->last_end);
    PyMem_Free(self->runs);
    PyMem_Free(self->order);
    free(self->hits);
    PyMem_Free(self->chars);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int scanner_init(ScannerObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"database", "gaps", NULL};
    DatabaseObject *database;
    PyObject *gaps_arg;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O:Scanner", keywords, &DatabaseType,
                                     &database, &gaps_arg)) {
        return -1;
    }
    if (self->database != NULL) {
        PyErr_SetString(PyExc_TypeError, "a Scanner is initialised once");
        return -1;
    }
    PyObject *gaps = PySequence_Fast(gaps_arg, "gaps must be a sequence");
    if (gaps == NULL) {
        return -1;
    }
    Py_ssize_t count = PySequence_Fast_GET_SIZE(gaps);
    self->patterns = count;
    self->gaps = PyMem_Calloc(count ? count : 1, sizeof(unsigned int));
    self->last_end = PyMem_Calloc(count ? count : 1, sizeof(unsigned int));
    self->runs = PyMem_Calloc(count ? count : 1, sizeof(PyObject *));
    self->order = PyMem_Calloc(count ? count : 1, sizeof(unsigned int));
    self->hit_capacity = 256;
    self->hits = malloc(self->hit_capacity * sizeof(Hit));
    if (!self->gaps || !self->last_end || !self->runs || !self->order || !self->hits) {
        Py_DECREF(gaps);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        unsigned long gap = PyLong_AsUnsignedLong(PySequence_Fast_GET_ITEM(gaps, i));
        if (PyErr_Occurred()) {
            Py_DECREF(gaps);
            return -1;
        }
        self->gaps[i] = (unsigned int)gap;
    }
    Py_DECREF(gaps);
    if (hs_alloc_scratch(database->db, &self->scratch) != HS_SUCCESS) {
        PyErr_SetString(Error, "Hyperscan could not allocate scratch space for the database");
        return -1;
    }
    Py_INCREF(database);
    self->database = database;
    return 0;
}

/* Runs while Python's lock is released: no Python calls here. */
static int record_hit(unsigned int id, unsigned long long from, unsigned long long to,
                      unsigned int flags, void *context) {
    ScannerObject *self = context;
    if (self->hit_count == self->hit_capacity) {
        size_t capacity = self->hit_capacity * 2;
        Hit *hits = realloc(self->hits, capacity * sizeof(Hit));
        if (hits == NULL) {
            self->out_of_memory = 1;
            return 1;  /* stops the scan */
        }
        self->hits = hits;
        self->hit_capacity = capacity;
    }
    self->hits[self->hit_count].id = id;
    self->hits[self->hit_count].end = (unsigned int)to;
    self->hit_count++;
    return 0;
}

static int count_hit(unsigned int id, unsigned long long from, unsigned long long to,
                     unsigned int flags, void *context) {
    (*(unsigned long long *)context)++;
    return 0;
}

static int run_scan(ScannerObject *self, const char *data, size_t length,
                    match_event_handler handler, void *context) {
    if (self->database == NULL) {
        PyErr_SetString(PyExc_TypeError, "Scanner not initialised");
        return -1;
    }
    if (length > UINT_MAX) {
        PyErr_SetString(PyExc_ValueError, "a block scan takes at most 4 GiB");
        return -1;
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError,
                        "Scanner in use by another thread: give each thread its own");
        return -1;
    }
    self->busy = 1;
    self->hit_count = 0;
    self->out_of_memory = 0;
    hs_error_t result;
    Py_BEGIN_ALLOW_THREADS
    result = hs_scan(self->database->db, data, (unsigned int)length, 0, self->scratch, handler,
                     context);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    if (self->out_of_memory) {
        PyErr_NoMemory();
        return -1;
    }
    if (result != HS_SUCCESS) {
        PyErr_Format(Error, "Hyperscan scan failed (error %d)", result);
        return -1;
    }
    return 0;
}

/* The str index of each byte offset into UTF-8 `data`: the characters that start before it.
 * An offset inside a character maps past it, so windows built on it stay wide enough. */
static int map_chars(ScannerObject *self, const char *data, size_t length) {
    if (length + 1 > self->chars_capacity) {
        unsigned int *chars = PyMem_Realloc(self->chars, (length + 1) * sizeof(unsigned int));
        if (chars == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        self->chars = chars;
        self->chars_capacity = length + 1;
    }
    unsigned int count = 0;
    self->chars[0] = 0;
    for (size_t i = 0; i < length; i++) {
        count += ((unsigned char)data[i] & 0xC0) != 0x80;  /* not a continuation byte */
        self->chars[i + 1] = count;
    }
    return 0;
}

static PyObject *gather_runs(ScannerObject *self, Py_ssize_t begin, int ascii) {
    PyObject *result = PyDict_New();
    if (result == NULL) {
        return NULL;
    }
    size_t touched = 0;
    for (size_t i = 0; i < self->hit_count; i++) {
        unsigned int id = self->hits[i].id;
        unsigned int end = self->hits[i].end;
        if (id >= self->patterns) {
            PyErr_Format(Error, "pattern id %u has no gap: the Scanner's gaps are too few", id);
            goto fail;
        }
        PyObject *position = PyLong_FromSsize_t(begin + (ascii ? end : self->chars[end]));
        if (position == NULL) {
            goto fail;
        }
        PyObject *runs = self->runs[id];
        int failed;
        if (runs == NULL) {
            runs = self->runs[id] = PyList_New(0);
            failed = runs == NULL;
            if (!failed) {
                self->order[touched++] = id;
                failed = PyList_Append(runs, position) < 0 || PyList_Append(runs, position) < 0;
            }
        } else if (end >= self->last_end[id] && end - self->last_end[id] <= self->gaps[id]) {
            /* Hyperscan does not promise ends in order: only a later end extends a run. */
            failed = PyList_SetItem(runs, PyList_GET_SIZE(runs) - 1, Py_NewRef(position)) < 0;
        } else {
            failed = PyList_Append(runs, position) < 0 || PyList_Append(runs, position) < 0;
        }
        Py_DECREF(position);
        if (failed) {
            goto fail;
        }
        self->last_end[id] = end;
    }
    for (size_t i = 0; i < touched; i++) {
        unsigned int id = self->order[i];
        PyObject *key = PyLong_FromUnsignedLong(id);
        int failed = key == NULL || PyDict_SetItem(result, key, self->runs[id]) < 0;
        Py_XDECREF(key);
        if (failed) {
            goto fail;
        }
        Py_CLEAR(self->runs[id]);
    }
    return result;
fail:
    for (size_t i = 0; i < touched; i++) {
        Py_CLEAR(self->runs[self->order[i]]);
    }
    Py_DECREF(result);
    return NULL;
}

static PyObject *scanner_scan(ScannerObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "scan(text: str, begin: int, end: int)");
        return NULL;
    }
    PyObject *text = args[0];
    if (PyUnicode_READY(text) < 0) {  /* a str made by the legacy API has no data yet */
        return NULL;
    }
    Py_ssize_t begin = PyLong_AsSsize_t(args[1]);
    Py_ssize_t end = PyLong_AsSsize_t(args[2]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (begin < 0 || end < begin || end > PyUnicode_GET_LENGTH(text)) {
        PyErr_SetString(PyExc_IndexError, "scan: need 0 <= begin <= end <= len(text)");
        return NULL;
    }
    int ascii = PyUnicode_IS_ASCII(text);
    PyObject *encoded = NULL;
    const char *data;
    Py_ssize_t length;
    if (ascii) {  /* an ASCII str's characters are its UTF-8 bytes: no copy */
        data = (const char *)PyUnicode_DATA(text) + begin;
        length = end - begin;
    } else {
        /* surrogatepass: a lone surrogate (from invalid input) is scanned, not refused. */
        PyObject *part = PyUnicode_Substring(text, begin, end);
        if (part == NULL) {
            return NULL;
        }
        encoded = PyUnicode_AsEncodedString(part, "utf-8", "surrogatepass");
        Py_DECREF(part);
        if (encoded == NULL) {
            return NULL;
        }
        data = PyBytes_AS_STRING(encoded);
        length = PyBytes_GET_SIZE(encoded);
    }
    PyObject *result = NULL;
    if (run_scan(self, data, (size_t)length, record_hit, self) == 0 &&
        (ascii || self->hit_count == 0 || map_chars(self, data, (size_t)length) == 0)) {
        result = gather_runs(self, begin, ascii);
    }
    Py_XDECREF(encoded);
    return result;
}

static PyObject *scanner_count(ScannerObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    unsigned long long matches = 0;
    int failed = run_scan(self, view.buf, (size_t)view.len, count_hit, &matches);
    PyBuffer_Release(&view);
    return failed ? NULL : PyLong_FromUnsignedLongLong(matches);
}

static PyMethodDef scanner_methods[] = {
    {"scan", (PyCFunction)(void (*)(void))scanner_scan, METH_FASTCALL,
     "scan(text, begin, end) -> {pattern id: [first, last, first, last, ...]}\n\n"
     "Scans text[begin:end] (as UTF-8) and returns each pattern's match ends as runs: ends\n"
     "closer than the pattern's gap (in bytes) join one run. Ends are str indices into text.\n"
     "Patterns are listed in the order of their first match."},
    {"count", (PyCFunction)scanner_count, METH_O,
     "count(data) -> the number of matches in the bytes: raw Hyperscan, nothing gathered."},
    {NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "detectors.hyperscan_binding.Scanner",
    .tp_doc = "Scans with one database and its own scratch space. One thread at a time.\n\n"
              "Scanner(database, gaps): gaps[id] is how close (in bytes) pattern id's match\n"
              "ends must be to join one run.",
    .tp_basicsize = sizeof(ScannerObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)scanner_init,
    .tp_dealloc = (destructor)scanner_dealloc,
    .tp_methods = scanner_methods,
};

/* ---------------------------------------------------------------- module */

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT,
    .m_name = "detectors.hyperscan_binding",
    .m_doc = "Block-mode Hyperscan databases and scanners (see hyperscan_binding.c).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit_hyperscan_binding(void) {
    if (hs_valid_platform() != HS_SUCCESS) {
        PyErr_SetString(PyExc_ImportError, "Hyperscan needs a CPU with SSSE3");
        return NULL;
    }
    if (PyType_Ready(&DatabaseType) < 0 || PyType_Ready(&ScannerType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&module_definition);
    if (module == NULL) {
        return NULL;
    }
    /* Databases compile for this host: a cached one is only good on the same kind of CPU. */
    hs_platform_info_t host;
    PyObject *platform = hs_populate_platform(&host) != HS_SUCCESS
                             ? NULL
                             : PyUnicode_FromFormat("tune %u, features %llu", host.tune,
                                                    (unsigned long long)host.cpu_features);
    int failed = platform == NULL || PyModule_AddObjectRef(module, "PLATFORM", platform) < 0;
    Py_XDECREF(platform);
    if (failed) {
        Py_DECREF(module);
        return NULL;
    }
    Error = PyErr_NewExceptionWithDoc("detectors.hyperscan_binding.Error",
                                      "Hyperscan failed.", NULL, NULL);
    CompileError = PyErr_NewExceptionWithDoc(
        "detectors.hyperscan_binding.CompileError",
        "Hyperscan rejected a pattern: `message` says why, `index` which pattern (-1: the set "
        "as a whole).",
        Error, NULL);
    if (Error == NULL || CompileError == NULL ||
        PyModule_AddObjectRef(module, "Error", Error) < 0 ||
        PyModule_AddObjectRef(module, "CompileError", CompileError) < 0 ||
        PyModule_AddObjectRef(module, "Database", (PyObject *)&DatabaseType) < 0 ||
        PyModule_AddObjectRef(module, "Scanner", (PyObject *)&ScannerType) < 0 ||
        PyModule_AddStringConstant(module, "VERSION", hs_version()) < 0 ||
        PyModule_AddIntConstant(module, "FLAG_CASELESS", HS_FLAG_CASELESS) < 0 ||
        PyModule_AddIntConstant(module, "FLAG_SINGLEMATCH", HS_FLAG_SINGLEMATCH) < 0 ||
        PyModule_AddIntConstant(module, "FLAG_PREFILTER", HS_FLAG_PREFILTER) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
