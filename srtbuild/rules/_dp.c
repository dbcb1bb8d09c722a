/* The two dynamic programmes of cue shaping, compiled: an optional speed-up.
 *
 * split_search is srtbuild.rules.split._search and wrap_layout the search part of
 * srtbuild.rules.wrap._layout, step for step: the same loops, the same comparisons, the
 * same floating-point operations in the same order (built with -ffp-contract=off, so no
 * multiply-add is fused), hence the same choices to the last tie. The Python versions
 * stay the reference and the fallback: srtbuild runs them when this module is not built
 * or SRTBUILD_PURE_PYTHON is set, and the tests hold the two to the same results.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdlib.h>

#define BALANCE 3.0
#define SHORT 8.0

/* Widths beyond this could overflow a square or a sum in 64 bits; no subtitle has them
 * (a source is at most 200 MiB), and the callers take the Python path when told so. */
#define MAX_WIDTH 1000000000LL

/* A list of Python ints in [0, MAX_WIDTH] as C long longs (NULL with an exception set:
 * OverflowError for one out of range). */
static long long *ints_of(PyObject *seq, Py_ssize_t n) {
    long long *out = PyMem_Malloc(sizeof(long long) * (n ? n : 1));
    if (!out) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        out[k] = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(seq, k));
        if (out[k] == -1 && PyErr_Occurred()) {
            PyMem_Free(out);
            return NULL;
        }
        if (out[k] < 0 || out[k] > MAX_WIDTH) {
            PyMem_Free(out);
            PyErr_SetString(PyExc_OverflowError, "width out of the compiled helper's range");
            return NULL;
        }
    }
    return out;
}

static PyObject *prev_list(const Py_ssize_t *prev, Py_ssize_t n) {
    PyObject *out = PyList_New(n + 1);
    if (!out)
        return NULL;
    for (Py_ssize_t k = 0; k <= n; k++) {
        PyObject *v = PyLong_FromSsize_t(prev[k]);
        if (!v) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, k, v);
    }
    return out;
}

/* split_search(widths, sep, cut_cost, (max_len, max_lines, max_chars), ideal, short_chars)
 * -> (parts, prev): the arguments of the Python twin. cut_cost items are floats or None
 * (no cut there), ideal a float or None. */
static PyObject *split_search(PyObject *self, PyObject *args) {
    PyObject *w_obj, *s_obj, *c_obj, *ideal_obj;
    long long max_len, max_lines, max_chars, short_chars;
    if (!PyArg_ParseTuple(args, "OOO(LLL)OL", &w_obj, &s_obj, &c_obj, &max_len, &max_lines, &max_chars, &ideal_obj,
                          &short_chars))
        return NULL;
    PyObject *wf = PySequence_Fast(w_obj, "widths must be a sequence");
    PyObject *sf = wf ? PySequence_Fast(s_obj, "sep must be a sequence") : NULL;
    PyObject *cf = sf ? PySequence_Fast(c_obj, "cut_cost must be a sequence") : NULL;
    PyObject *result = NULL;
    long long *widths = NULL, *sep = NULL, *parts = NULL;
    double *cut = NULL, *costs = NULL;
    char *can_cut = NULL;
    Py_ssize_t *prev = NULL;
    if (!cf)
        goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(wf);
    if (PySequence_Fast_GET_SIZE(sf) != n || PySequence_Fast_GET_SIZE(cf) != n + 1) {
        PyErr_SetString(PyExc_ValueError, "widths, sep and cut_cost do not match");
        goto done;
    }
    int has_ideal = ideal_obj != Py_None;
    double ideal = has_ideal ? PyFloat_AsDouble(ideal_obj) : 0.0;
    if (has_ideal && ideal == -1.0 && PyErr_Occurred())
        goto done;

    widths = ints_of(wf, n);
    sep = widths ? ints_of(sf, n) : NULL;
    cut = PyMem_Malloc(sizeof(double) * (n + 1));
    can_cut = PyMem_Malloc(n + 1);
    parts = PyMem_Malloc(sizeof(long long) * (n + 1));
    costs = PyMem_Malloc(sizeof(double) * (n + 1));
    prev = PyMem_Malloc(sizeof(Py_ssize_t) * (n + 1));
    if (!sep || !cut || !can_cut || !parts || !costs || !prev) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k <= n; k++) {
        PyObject *c = PySequence_Fast_GET_ITEM(cf, k);
        can_cut[k] = c != Py_None;
        cut[k] = can_cut[k] ? PyFloat_AsDouble(c) : 0.0;
        if (can_cut[k] && cut[k] == -1.0 && PyErr_Occurred())
            goto done;
        parts[k] = k ? n + 1 : 0;
        costs[k] = 0.0;
        prev[k] = 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        long long parts_i = parts[i];
        if (parts_i > n)
            continue;
        double cost_i = costs[i];
        long long then = parts_i + 1;
        long long lines = 0, current = -1, chars = -1;
        for (Py_ssize_t j = i + 1; j <= n; j++) {
            long long w = widths[j - 1];
            long long add = sep[j - 1] + w;
            if (current >= 0 && current + add <= max_len) {
                current += add;
            } else {
                lines += 1;
                current = w;
            }
            chars += add;
            if (j > i + 1 && (lines > max_lines || chars > max_chars))
                break;
            if (!can_cut[j])
                continue;
            double cost = cut[j];
            if (has_ideal) {
                if (ideal == 0.0) { /* where Python's division would raise */
                    PyErr_SetString(PyExc_ZeroDivisionError, "float division by zero");
                    goto done;
                }
                double off = ((double)chars - ideal) / ideal;
                double spread = BALANCE * off;
                spread = spread * off;
                spread = spread + (chars < short_chars ? SHORT : 0.0);
                cost = cost + spread;
            }
            double total = cost_i + cost;
            if (then < parts[j] || (then == parts[j] && total < costs[j])) {
                parts[j] = then;
                costs[j] = total;
                prev[j] = i;
            }
        }
    }
    PyObject *prevs = prev_list(prev, n);
    if (prevs) {
        result = Py_BuildValue("(LN)", parts[n], prevs);
    }
done:
    PyMem_Free(widths);
    PyMem_Free(sep);
    PyMem_Free(cut);
    PyMem_Free(can_cut);
    PyMem_Free(parts);
    PyMem_Free(costs);
    PyMem_Free(prev);
    Py_XDECREF(wf);
    Py_XDECREF(sf);
    Py_XDECREF(cf);
    return result;
}

/* wrap_layout(widths, adj, max_len, glued) -> (lines, cost, prev) of the best layout of
 * all the words: cost is inf when there is none. adj has len(widths) + 1 floats. */
static PyObject *wrap_layout(PyObject *self, PyObject *args) {
    PyObject *w_obj, *a_obj, *g_obj;
    long long max_len;
    if (!PyArg_ParseTuple(args, "OOLO", &w_obj, &a_obj, &max_len, &g_obj))
        return NULL;
    PyObject *wf = PySequence_Fast(w_obj, "widths must be a sequence");
    PyObject *af = wf ? PySequence_Fast(a_obj, "adj must be a sequence") : NULL;
    PyObject *gf = af ? PySequence_Fast(g_obj, "glued must be a sequence") : NULL;
    PyObject *result = NULL;
    long long *widths = NULL, *counts = NULL, *space = NULL;
    double *adj = NULL, *costs = NULL;
    Py_ssize_t *prev = NULL;
    if (!gf)
        goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(wf);
    if (PySequence_Fast_GET_SIZE(af) != n + 1 || PySequence_Fast_GET_SIZE(gf) != n) {
        PyErr_SetString(PyExc_ValueError, "widths, adj and glued do not match");
        goto done;
    }
    widths = ints_of(wf, n);
    adj = PyMem_Malloc(sizeof(double) * (n + 1));
    space = PyMem_Malloc(sizeof(long long) * (n + 1));
    counts = PyMem_Malloc(sizeof(long long) * (n + 1));
    costs = PyMem_Malloc(sizeof(double) * (n + 1));
    prev = PyMem_Malloc(sizeof(Py_ssize_t) * (n + 1));
    if (!widths || !adj || !space || !counts || !costs || !prev) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k <= n; k++) {
        adj[k] = k < n ? PyFloat_AsDouble(PySequence_Fast_GET_ITEM(af, k)) : 0.0; /* adj[n] is never used */
        if (adj[k] == -1.0 && PyErr_Occurred())
            goto done;
        counts[k] = k ? n + 2 : 0;
        costs[k] = k ? INFINITY : 0.0;
        prev[k] = 0;
    }
    /* space[i]: 1 when a space follows word i (the next word is not glued to it) */
    for (Py_ssize_t i = 0; i < n; i++) {
        int glued_next = 0;
        if (i + 1 < n) {
            glued_next = PyObject_IsTrue(PySequence_Fast_GET_ITEM(gf, i + 1));
            if (glued_next < 0)
                goto done;
        }
        space[i] = glued_next ? 0 : 1;
    }
    for (Py_ssize_t j = 1; j <= n; j++) {
        double extra = j < n ? adj[j] : 0.0;
        if (extra == INFINITY)
            continue;
        long long width = -1;
        for (Py_ssize_t i = j - 1; i >= 0; i--) {
            width += widths[i] + space[i];
            if (width > max_len && i < j - 1)
                break;
            double cost = costs[i];
            if (cost == INFINITY)
                continue;
            long long lines = counts[i] + 1;
            double total = cost + (double)(width * width);
            total = total + extra;
            if (lines < counts[j] || (lines == counts[j] && total < costs[j])) {
                counts[j] = lines;
                costs[j] = total;
                prev[j] = i;
            }
        }
    }
    PyObject *prevs = prev_list(prev, n);
    if (prevs) {
        result = Py_BuildValue("(LdN)", counts[n], costs[n], prevs);
    }
done:
    PyMem_Free(widths);
    PyMem_Free(adj);
    PyMem_Free(space);
    PyMem_Free(counts);
    PyMem_Free(costs);
    PyMem_Free(prev);
    Py_XDECREF(wf);
    Py_XDECREF(af);
    Py_XDECREF(gf);
    return result;
}

static PyMethodDef methods[] = {
    {"split_search", split_search, METH_VARARGS, "srtbuild.rules.split._search, compiled."},
    {"wrap_layout", wrap_layout, METH_VARARGS, "The search of srtbuild.rules.wrap._layout, compiled."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_dp", "The dynamic programmes of split and wrap, compiled (optional).", -1, methods,
};

PyMODINIT_FUNC PyInit__dp(void) { return PyModule_Create(&module); }
