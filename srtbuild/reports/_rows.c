/* The check of the report rows kept in the sidecar cache, compiled: an optional speed-up.
 *
 * rows_ok(data) is srtbuild.reports.rowcheck.rows_ok_py on UTF-8 bytes: True when `data`
 * is lines, each ending in "\n", each one JSON object whose values are strings, numbers,
 * true, false, null, objects or lists, nested at most three deep (the shape of every row
 * srtbuild writes), with
 * JSON's blanks between tokens where json.loads takes them. The rows are spliced into
 * report.json as they are, and the cache is a file anyone who can write the output
 * folder can change: a row that is anything else could close the list and forge the
 * report. A no-op run of 10,000 files checks 8 MB of rows; json.loads takes a tenth of a
 * second for them, this a few milliseconds.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef struct {
    const unsigned char *p;
    const unsigned char *end;
} Cursor;

static int hexdigit(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* JSON's whitespace but the newline, which ends a row. */
static void blanks(Cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
        c->p++;
}

/* Python refuses to read an integer of more digits than this (sys.int_info). */
#define MAX_INT_DIGITS 4300

/* A string from its opening quote; bytes of 0x80 and over pass (the caller decodes the
 * whole as UTF-8 strictly). */
static int string(Cursor *c) {
    c->p++;
    while (c->p < c->end) {
        unsigned char ch = *c->p++;
        if (ch == '"')
            return 1;
        if (ch < 0x20)
            return 0;
        if (ch == '\\') {
            if (c->p >= c->end)
                return 0;
            ch = *c->p++;
            if (ch == 'u') {
                if (c->end - c->p < 4 || !hexdigit(c->p[0]) || !hexdigit(c->p[1]) || !hexdigit(c->p[2]) ||
                    !hexdigit(c->p[3]))
                    return 0;
                c->p += 4;
            } else if (!(ch == '"' || ch == '\\' || ch == '/' || ch == 'b' || ch == 'f' || ch == 'n' ||
                         ch == 'r' || ch == 't')) {
                return 0;
            }
        }
    }
    return 0;
}

static int number(Cursor *c) {
    if (c->p < c->end && *c->p == '-')
        c->p++;
    if (c->p >= c->end || !is_digit(*c->p))
        return 0;
    const unsigned char *first = c->p;
    if (*c->p == '0')
        c->p++;
    else
        while (c->p < c->end && is_digit(*c->p))
            c->p++;
    int integer = !(c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E'));
    if (integer && c->p - first > MAX_INT_DIGITS)
        return 0;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (c->p >= c->end || !is_digit(*c->p))
            return 0;
        while (c->p < c->end && is_digit(*c->p))
            c->p++;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (c->p >= c->end || !is_digit(*c->p))
            return 0;
        while (c->p < c->end && is_digit(*c->p))
            c->p++;
    }
    return 1;
}

static int word(Cursor *c, const char *w, Py_ssize_t n) {
    if (c->end - c->p < n || memcmp(c->p, w, n) != 0)
        return 0;
    c->p += n;
    return 1;
}

/* A row is an object holding values nested at most MAX_DEPTH deep, the row itself 1:
 * its fields, their objects and lists (`findings`), and the objects in those. */
#define MAX_DEPTH 3 /* rowcheck.MAX_DEPTH */

static int object(Cursor *c, int depth);
static int array(Cursor *c, int depth);

/* A value inside a container at `depth`. */
static int value(Cursor *c, int depth) {
    if (c->p >= c->end)
        return 0;
    switch (*c->p) {
    case '"':
        return string(c);
    case '{':
        return depth < MAX_DEPTH && object(c, depth + 1);
    case '[':
        return depth < MAX_DEPTH && array(c, depth + 1);
    case 't':
        return word(c, "true", 4);
    case 'f':
        return word(c, "false", 5);
    case 'n':
        return word(c, "null", 4);
    default:
        return number(c);
    }
}

/* An object from its opening brace, itself at `depth`. */
static int object(Cursor *c, int depth) {
    c->p++;
    blanks(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return 1;
    }
    for (;;) {
        blanks(c);
        if (c->p >= c->end || *c->p != '"' || !string(c))
            return 0;
        blanks(c);
        if (c->p >= c->end || *c->p++ != ':')
            return 0;
        blanks(c);
        if (!value(c, depth))
            return 0;
        blanks(c);
        if (c->p >= c->end)
            return 0;
        if (*c->p == '}') {
            c->p++;
            return 1;
        }
        if (*c->p++ != ',')
            return 0;
    }
}

/* A list from its opening bracket, itself at `depth`. */
static int array(Cursor *c, int depth) {
    c->p++;
    blanks(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        return 1;
    }
    for (;;) {
        blanks(c);
        if (!value(c, depth))
            return 0;
        blanks(c);
        if (c->p >= c->end)
            return 0;
        if (*c->p == ']') {
            c->p++;
            return 1;
        }
        if (*c->p++ != ',')
            return 0;
    }
}

static PyObject *rows_ok(PyObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    Cursor c = {view.buf, (const unsigned char *)view.buf + view.len};
    int ok = 1;
    while (ok && c.p < c.end) {
        blanks(&c);
        ok = c.p < c.end && *c.p == '{' && object(&c, 1);
        blanks(&c);
        ok = ok && c.p < c.end && *c.p++ == '\n';
    }
    PyBuffer_Release(&view);
    return PyBool_FromLong(ok);
}

static PyMethodDef methods[] = {
    {"rows_ok", rows_ok, METH_O, "srtbuild.reports.rowcheck.rows_ok_py on UTF-8 bytes, compiled."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_rows", "The check of cached report rows, compiled (optional).", -1, methods,
};

PyMODINIT_FUNC PyInit__rows(void) { return PyModule_Create(&module); }
