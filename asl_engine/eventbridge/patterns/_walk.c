/*
 * The matcher's hot loop in C: an event walked along the plan trie, one gate
 * per field ANDed into a bitmap, and the set bits listed as rule ids.
 *
 * It does what BranchIndex's Python walk does (branches.py: _walk, _array and
 * _Arrays; the reference it is tested against), with the gates held as
 * little-endian bitmaps of `words` 64-bit words (Python bytes) instead of
 * Python ints: an AND is a loop over words with no allocation, where an int
 * AND allocates a new int per field. native.py builds a Walker and documents
 * what it is given.
 *
 * A value's gate comes from:
 *   - for a number, the field's segment table, computed here each time;
 *   - for a string, the field's string indexes as bitmaps (exact values,
 *     prefixes, suffixes, one-star wildcards, anything-but, IPv4 blocks),
 *     computed here each time too (gate_of says why);
 *   - otherwise lane_gate(lane, value) -> bytes, the Python indexes (lane.py,
 *     field.py): equals-ignore-case, regex wildcards, IPv6, numbers beyond
 *     5e9, fields with several ranges in one branch. Cached, as Lane does.
 *
 * An array of objects needs AWS's same-element rule: a node with a single
 * field at or below it walks such arrays here (one field cannot disagree with
 * itself); the others call array_gate(arrays, step, items) -> bytes, which
 * flattens them in Python and records what the same-element check needs.
 *
 * A Walker is built for one state of the rules: any change of the rules
 * builds a new one, so no cached gate outlives the rules it was computed for.
 * A bitmap pointer that is NULL stands for the all-ones mask (the gate of
 * nothing), which the walk skips instead of ANDing.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* One key of the plan trie (plan.py: PlanNode), flattened into an array. */
typedef struct {
    PyObject *key;          /* borrowed from the spec: the key looked up in the event's object */
    PyObject *step;         /* borrowed: the PlanNode, handed to array_gate */
    PyObject *lane;         /* borrowed: the Lane of the path ending here, or NULL */
    PyObject *values;       /* owned dict: string/number -> gate bytes, for those Python computed */
    PyObject *literals;     /* owned dict: true/false/null/other -> gate bytes */
    const char *lane_absent;    /* lane.absent(): the field itself absent (its value is an object) */
    const char *unconstrained;  /* lane.unconstrained(): what an empty array lets through */
    const char *below_gate;     /* every field below absent (the value is a scalar) */
    const char *absent_gate;    /* this field and every field below absent (the key is missing) */
    Py_ssize_t first_child;     /* children are nodes[first_child .. first_child + n_children) */
    Py_ssize_t n_children;
    int solo;                   /* exactly one lane at or below: arrays of objects are walked here */
    /* The lane's value indexes as bitmaps, for gates computed without calling back into Python (NULL base or
     * points: that kind of value always calls back). Strings: */
    const char *base;           /* unconstrained | exists: where every string gate starts */
    PyObject *exact;            /* dict: str -> bitmap */
    struct AffixTable *prefix;  /* prefixes, or NULL */
    struct AffixTable *suffix;  /* suffixes, or NULL */
    struct AffixTable *singles; /* one-star wildcards: their starts, each with the table of its ends; or NULL */
    const char *anything_but;   /* anything-but on strings: what any other string satisfies, or NULL */
    PyObject *anything_but_except;  /* dict: str -> anything-but bitmap without the branches naming it */
    PyObject *ip4;              /* tuple of (low, high, bitmap): IPv4 blocks */
    int ip6;                    /* IPv6 blocks too: a string that may be an IPv6 address calls back */
    /* Numbers: the gate is constant between consecutive points (range bounds, exact numbers), so it is kept per
     * segment: every STRIDE-th segment's gate in full, and for each segment the bits it flips from the one
     * before. Segment 0 is below the first point, 2i + 1 is point i, 2i + 2 the gap after it. */
    const char *points;         /* int64 each, ascending: numbers.comparable keys */
    Py_ssize_t n_points;
    Py_ssize_t stride;
    PyObject *checkpoints;      /* tuple of bitmaps: segments 0, stride, 2 * stride, ... */
    const char *offsets;        /* uint32 each: segment s flips the positions[offsets[s] .. offsets[s + 1]) */
    const char *positions;      /* uint32 each: bit positions */
} Node;

typedef struct {
    PyObject_HEAD
    PyObject *spec;         /* the nested tuples the nodes were built from: owns keys, steps, lanes, bitmaps */
    PyObject *live;         /* bytes: the bits of the live branches, where every walk starts */
    PyObject *owners;       /* list: bit position -> rule id */
    PyObject *lane_gate;    /* callable(lane, value) -> bytes */
    PyObject *array_gate;   /* callable(arrays, step, items) -> bytes */
    PyObject *new_arrays;   /* callable() -> the arrays handed to array_gate, made for the first one in an event */
    PyObject *flatten;      /* the exception class on which the caller flattens the event in full */
    Py_ssize_t words;       /* 64-bit words per bitmap */
    Py_ssize_t cache_limit; /* values cached per field before its cache starts over */
    Node *nodes;
    Py_ssize_t n_nodes;
    Py_ssize_t root_children; /* the root's children are nodes[0 .. root_children) */
} Walker;

/* The state of one walk: its bitmaps (words each) and the arrays of objects met so far. */
typedef struct {
    Walker *walker;
    PyObject *arrays;       /* handed to array_gate; NULL until the first call */
    uint64_t *candidates;   /* the result, ANDed field by field */
    uint64_t *either;       /* the union of an array's leaf gates */
    uint64_t *gate;         /* a gate computed here and not cached */
    PyObject *held;         /* the last cached gate handed out, held until the next (see gate_of) */
    Py_ssize_t solo_arrays;   /* arrays of objects walked here with leaves of their lane */
    Py_ssize_t python_arrays; /* arrays of objects handed to array_gate */
} Walk;

/* Bitmaps and tables live in bytes objects, whose data need not be aligned: they are read through memcpy, which
 * compiles to plain loads. */
static inline uint64_t
load_word(const char *bitmap, Py_ssize_t i)
{
    uint64_t word;
    memcpy(&word, bitmap + 8 * i, 8);
    return word;
}

static inline void
and_into(uint64_t *dst, const char *bitmap, Py_ssize_t words)
{
    if (bitmap == NULL)
        return;  /* all ones */
    for (Py_ssize_t i = 0; i < words; i++)
        dst[i] &= load_word(bitmap, i);
}

static inline void
or_into(uint64_t *dst, const char *bitmap, Py_ssize_t words)
{
    for (Py_ssize_t i = 0; i < words; i++)
        dst[i] |= load_word(bitmap, i);
}

/* The data of a bitmap: bytes of exactly `words` words, else NULL with ValueError. */
static const char *
bitmap_data(Walker *self, PyObject *obj)
{
    if (!PyBytes_CheckExact(obj) || PyBytes_GET_SIZE(obj) != 8 * self->words) {
        PyErr_Format(PyExc_ValueError, "a gate must be bytes of %zd bytes", 8 * self->words);
        return NULL;
    }
    return PyBytes_AS_STRING(obj);
}

/* ------------------------------------------------------------------ affix tables */

/* Prefixes, suffixes and one-star wildcards are looked up by every length a table holds, for every new string
 * (an object key tries 8 prefix lengths, 4 suffix lengths and 4 wildcard starts here). Probing the spec's dicts
 * would take a new str per length; these tables are probed with hashes computed along the value, one code point
 * at a time, and a hit is confirmed by comparing code points. */

typedef struct AffixTable AffixTable;

typedef struct {
    PyObject *key;          /* borrowed from the spec; NULL marks an empty slot */
    uint64_t hash;          /* of the key's code points, read from its start, or from its end in a suffix table */
    const char *bitmap;     /* prefix and suffix tables: the branches naming this affix */
    AffixTable *ends;       /* wildcard starts: the ends that may follow this start */
} AffixEntry;

struct AffixTable {
    AffixEntry *slots;      /* open addressing, linear probing */
    size_t mask;            /* slots - 1: a power of two, at least twice the entries */
    Py_ssize_t *lengths;    /* the key lengths present, ascending */
    Py_ssize_t n_lengths;
    int from_end;           /* a suffix table */
};

#define HASH_START 0xcbf29ce484222325ULL
#define HASH_STEP(hash, c) (((hash) ^ (uint64_t)(c)) * 0x100000001b3ULL)  /* FNV-1a over code points */

static inline size_t
slot_of(uint64_t hash, Py_ssize_t length)
{
    uint64_t mixed = hash ^ ((uint64_t)length * 0x9e3779b97f4a7c15ULL);
    return (size_t)(mixed ^ (mixed >> 29));
}

static void
free_table(AffixTable *table)
{
    if (table == NULL)
        return;
    for (size_t i = 0; table->slots != NULL && i <= table->mask; i++)
        free_table(table->slots[i].ends);
    PyMem_Free(table->slots);
    PyMem_Free(table->lengths);
    PyMem_Free(table);
}

/* Whether `key` spells value[offset : offset + length]. Equal strings share a kind, but a slice of the value
 * may fit a narrower kind than the whole: kinds that differ are compared code point by code point. */
static int
same_text(PyObject *key, PyObject *value, Py_ssize_t offset, Py_ssize_t length)
{
    if (PyUnicode_GET_LENGTH(key) != length)
        return 0;
    int key_kind = PyUnicode_KIND(key), value_kind = PyUnicode_KIND(value);
    const void *key_data = PyUnicode_DATA(key), *value_data = PyUnicode_DATA(value);
    if (key_kind == value_kind)
        return memcmp(key_data, (const char *)value_data + offset * value_kind, length * key_kind) == 0;
    for (Py_ssize_t i = 0; i < length; i++)
        if (PyUnicode_READ(key_kind, key_data, i) != PyUnicode_READ(value_kind, value_data, offset + i))
            return 0;
    return 1;
}

/* The table of an affixes spec, (dict: text -> bitmap, lengths), or for wildcard starts (dict: start -> ends
 * spec, lengths); NULL with an exception on a malformed spec. */
static AffixTable *
affix_table(Walker *self, PyObject *spec, int from_end, int starts)
{
    if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != 2 || !PyDict_Check(PyTuple_GET_ITEM(spec, 0)) ||
        !PyTuple_Check(PyTuple_GET_ITEM(spec, 1))) {
        PyErr_SetString(PyExc_TypeError, "affixes are (dict, lengths)");
        return NULL;
    }
    PyObject *entries = PyTuple_GET_ITEM(spec, 0), *lengths = PyTuple_GET_ITEM(spec, 1);
    AffixTable *table = PyMem_Calloc(1, sizeof(AffixTable));
    if (table == NULL)
        return (AffixTable *)PyErr_NoMemory();
    size_t size = 8;
    while (size < 2 * (size_t)PyDict_GET_SIZE(entries))
        size *= 2;
    table->mask = size - 1;
    table->from_end = from_end;
    table->slots = PyMem_Calloc(size, sizeof(AffixEntry));
    table->lengths = PyMem_Calloc(PyTuple_GET_SIZE(lengths) + 1, sizeof(Py_ssize_t));
    if (table->slots == NULL || table->lengths == NULL) {
        free_table(table);
        return (AffixTable *)PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(lengths); i++) {  /* insertion sort: a handful of lengths */
        Py_ssize_t length = PyLong_AsSsize_t(PyTuple_GET_ITEM(lengths, i)), at = table->n_lengths++;
        if (length == -1 && PyErr_Occurred()) {
            free_table(table);
            return NULL;
        }
        for (; at > 0 && table->lengths[at - 1] > length; at--)
            table->lengths[at] = table->lengths[at - 1];
        table->lengths[at] = length;
    }
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(entries, &pos, &key, &value)) {
        if (!PyUnicode_CheckExact(key)) {
            PyErr_SetString(PyExc_TypeError, "an affix must be a str");
            free_table(table);
            return NULL;
        }
        Py_ssize_t length = PyUnicode_GET_LENGTH(key);
        int kind = PyUnicode_KIND(key);
        const void *data = PyUnicode_DATA(key);
        uint64_t hash = HASH_START;
        for (Py_ssize_t i = 0; i < length; i++)
            hash = HASH_STEP(hash, PyUnicode_READ(kind, data, from_end ? length - 1 - i : i));
        size_t slot = slot_of(hash, length) & table->mask;
        while (table->slots[slot].key != NULL)
            slot = (slot + 1) & table->mask;
        AffixEntry *entry = &table->slots[slot];
        entry->key = key;
        entry->hash = hash;
        if (starts)
            entry->ends = affix_table(self, value, 1, 0);
        else
            entry->bitmap = bitmap_data(self, value);
        if (starts ? entry->ends == NULL : entry->bitmap == NULL) {
            free_table(table);
            return NULL;
        }
    }
    return table;
}

/* ORs into `gate` the bitmaps of the affixes of value[begin:end] in `table` (masks.Affixes.lookup): for each
 * length the table holds, the prefix (or suffix) of that length. The hash grows one code point at a time. */
static void
or_affixes(Walker *self, AffixTable *table, PyObject *value, Py_ssize_t begin, Py_ssize_t end, uint64_t *gate)
{
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    uint64_t hash = HASH_START;
    Py_ssize_t hashed = 0;
    for (Py_ssize_t k = 0; k < table->n_lengths && table->lengths[k] <= end - begin; k++) {
        Py_ssize_t length = table->lengths[k];
        if (length < 0)
            continue;
        for (; hashed < length; hashed++)
            hash = HASH_STEP(hash, PyUnicode_READ(kind, data, table->from_end ? end - 1 - hashed : begin + hashed));
        Py_ssize_t offset = table->from_end ? end - length : begin;
        for (size_t slot = slot_of(hash, length) & table->mask; table->slots[slot].key != NULL;
             slot = (slot + 1) & table->mask) {
            AffixEntry *entry = &table->slots[slot];
            if (entry->hash == hash && same_text(entry->key, value, offset, length)) {
                or_into(gate, entry->bitmap, self->words);
                break;
            }
        }
    }
}

/* The one-star wildcards of masks.Wildcards.lookup: for each start the value begins with, the ends its rest
 * ends with (start and end cannot overlap: the ends are looked up in what follows the start). */
static void
or_singles(Walker *self, AffixTable *starts, PyObject *value, uint64_t *gate)
{
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    Py_ssize_t size = PyUnicode_GET_LENGTH(value);
    uint64_t hash = HASH_START;
    Py_ssize_t hashed = 0;
    for (Py_ssize_t k = 0; k < starts->n_lengths && starts->lengths[k] <= size; k++) {
        Py_ssize_t length = starts->lengths[k];
        if (length < 0)
            continue;
        for (; hashed < length; hashed++)
            hash = HASH_STEP(hash, PyUnicode_READ(kind, data, hashed));
        for (size_t slot = slot_of(hash, length) & starts->mask; starts->slots[slot].key != NULL;
             slot = (slot + 1) & starts->mask) {
            AffixEntry *entry = &starts->slots[slot];
            if (entry->hash == hash && same_text(entry->key, value, 0, length)) {
                or_affixes(self, entry->ends, value, length, size, gate);
                break;
            }
        }
    }
}

/* ------------------------------------------------------------------ building */

#define NODE_FIELDS 11
#define STRING_FIELDS 9
#define NUMBER_FIELDS 5

/* A gate of the spec: NULL for None (all ones). */
static int
optional_bitmap(Walker *self, PyObject *obj, const char **out)
{
    *out = obj == Py_None ? NULL : bitmap_data(self, obj);
    return obj != Py_None && *out == NULL ? -1 : 0;
}

/* The string indexes of a lane:
 * (base, exact, prefix, suffix, singles, anything_but, anything_but_except, ip4, ip6). */
static int
read_strings(Walker *self, Node *node, PyObject *spec)
{
    if (spec == Py_None)
        return 0;
    if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != STRING_FIELDS || !PyDict_Check(PyTuple_GET_ITEM(spec, 1)) ||
        !PyDict_Check(PyTuple_GET_ITEM(spec, 6)) || !PyTuple_Check(PyTuple_GET_ITEM(spec, 7))) {
        PyErr_SetString(PyExc_TypeError, "bad string indexes");
        return -1;
    }
    node->base = bitmap_data(self, PyTuple_GET_ITEM(spec, 0));
    if (node->base == NULL || optional_bitmap(self, PyTuple_GET_ITEM(spec, 5), &node->anything_but) < 0)
        return -1;
    node->exact = PyTuple_GET_ITEM(spec, 1);
    PyObject *prefix = PyTuple_GET_ITEM(spec, 2), *suffix = PyTuple_GET_ITEM(spec, 3);
    PyObject *singles = PyTuple_GET_ITEM(spec, 4);
    if ((prefix != Py_None && (node->prefix = affix_table(self, prefix, 0, 0)) == NULL) ||
        (suffix != Py_None && (node->suffix = affix_table(self, suffix, 1, 0)) == NULL) ||
        (singles != Py_None && (node->singles = affix_table(self, singles, 0, 1)) == NULL))
        return -1;
    node->anything_but_except = PyTuple_GET_ITEM(spec, 6);
    node->ip4 = PyTuple_GET_ITEM(spec, 7);
    node->ip6 = PyObject_IsTrue(PyTuple_GET_ITEM(spec, 8));
    return node->ip6 < 0 ? -1 : 0;
}

/* The number segments of a lane: (points, stride, checkpoints, offsets, positions), checked so that the walk can
 * index them blindly. */
static int
read_numbers(Walker *self, Node *node, PyObject *spec)
{
    if (spec == Py_None)
        return 0;
    if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != NUMBER_FIELDS ||
        !PyBytes_Check(PyTuple_GET_ITEM(spec, 0)) ||
        !PyLong_Check(PyTuple_GET_ITEM(spec, 1)) || !PyTuple_Check(PyTuple_GET_ITEM(spec, 2)) ||
        !PyBytes_Check(PyTuple_GET_ITEM(spec, 3)) || !PyBytes_Check(PyTuple_GET_ITEM(spec, 4))) {
        PyErr_SetString(PyExc_TypeError, "bad number segments");
        return -1;
    }
    PyObject *points = PyTuple_GET_ITEM(spec, 0), *checkpoints = PyTuple_GET_ITEM(spec, 2);
    PyObject *offsets = PyTuple_GET_ITEM(spec, 3), *positions = PyTuple_GET_ITEM(spec, 4);
    Py_ssize_t stride = PyLong_AsSsize_t(PyTuple_GET_ITEM(spec, 1));
    Py_ssize_t n_points = PyBytes_GET_SIZE(points) / 8;
    Py_ssize_t segments = 2 * n_points + 1;
    if (stride < 1 || PyBytes_GET_SIZE(points) % 8 || PyTuple_GET_SIZE(checkpoints) != (segments - 1) / stride + 1 ||
        PyBytes_GET_SIZE(offsets) != 4 * (segments + 1) || PyBytes_GET_SIZE(positions) % 4) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "inconsistent number segments");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(checkpoints); i++)
        if (bitmap_data(self, PyTuple_GET_ITEM(checkpoints, i)) == NULL)
            return -1;
    const char *offset_data = PyBytes_AS_STRING(offsets), *position_data = PyBytes_AS_STRING(positions);
    uint32_t previous = 0, offset, position;
    for (Py_ssize_t s = 0; s <= segments; s++) {
        memcpy(&offset, offset_data + 4 * s, 4);
        if (offset < previous || 4 * (Py_ssize_t)offset > PyBytes_GET_SIZE(positions)) {
            PyErr_SetString(PyExc_ValueError, "number segment offsets out of order");
            return -1;
        }
        previous = offset;
    }
    for (Py_ssize_t i = 0; i < PyBytes_GET_SIZE(positions) / 4; i++) {
        memcpy(&position, position_data + 4 * i, 4);
        if ((Py_ssize_t)position >= 64 * self->words) {
            PyErr_SetString(PyExc_ValueError, "a bit position beyond the bitmaps");
            return -1;
        }
    }
    node->points = PyBytes_AS_STRING(points);
    node->n_points = n_points;
    node->stride = stride;
    node->checkpoints = checkpoints;
    node->offsets = offset_data;
    node->positions = position_data;
    return 0;
}

/* Nodes in the subtree of `children` (a tuple of node specs), counted before allocating. */
static Py_ssize_t
count_nodes(PyObject *children)
{
    if (!PyTuple_Check(children)) {
        PyErr_SetString(PyExc_TypeError, "children must be a tuple");
        return -1;
    }
    Py_ssize_t total = PyTuple_GET_SIZE(children);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(children); i++) {
        PyObject *spec = PyTuple_GET_ITEM(children, i);
        if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != NODE_FIELDS) {
            PyErr_SetString(PyExc_TypeError, "a node is (key, step, lane, lane_absent, unconstrained, below, "
                                             "absent, children, solo, strings, numbers)");
            return -1;
        }
        Py_ssize_t below = count_nodes(PyTuple_GET_ITEM(spec, 7));
        if (below < 0)
            return -1;
        total += below;
    }
    return total;
}

/* Fills nodes[at ..) with `children` (siblings side by side, as the walk reads them), then their subtrees from
 * *next on. */
static int
fill_nodes(Walker *self, PyObject *children, Py_ssize_t at, Py_ssize_t *next)
{
    Py_ssize_t count = PyTuple_GET_SIZE(children);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *spec = PyTuple_GET_ITEM(children, i);
        Node *node = &self->nodes[at + i];
        node->key = PyTuple_GET_ITEM(spec, 0);
        if (!PyUnicode_CheckExact(node->key)) {
            PyErr_SetString(PyExc_TypeError, "a key must be a str");
            return -1;
        }
        node->step = PyTuple_GET_ITEM(spec, 1);
        node->lane = PyTuple_GET_ITEM(spec, 2) == Py_None ? NULL : PyTuple_GET_ITEM(spec, 2);
        if (node->lane != NULL) {
            node->values = PyDict_New();
            node->literals = PyDict_New();
            if (node->values == NULL || node->literals == NULL)
                return -1;
        }
        node->solo = PyObject_IsTrue(PyTuple_GET_ITEM(spec, 8));
        if (optional_bitmap(self, PyTuple_GET_ITEM(spec, 3), &node->lane_absent) < 0 ||
            optional_bitmap(self, PyTuple_GET_ITEM(spec, 4), &node->unconstrained) < 0 ||
            optional_bitmap(self, PyTuple_GET_ITEM(spec, 5), &node->below_gate) < 0 ||
            optional_bitmap(self, PyTuple_GET_ITEM(spec, 6), &node->absent_gate) < 0 || node->solo < 0 ||
            read_strings(self, node, PyTuple_GET_ITEM(spec, 9)) < 0 ||
            read_numbers(self, node, PyTuple_GET_ITEM(spec, 10)) < 0)
            return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *grandchildren = PyTuple_GET_ITEM(PyTuple_GET_ITEM(children, i), 7);
        Node *node = &self->nodes[at + i];
        node->first_child = *next;
        node->n_children = PyTuple_GET_SIZE(grandchildren);
        *next += node->n_children;
        if (fill_nodes(self, grandchildren, node->first_child, next) < 0)
            return -1;
    }
    /* A solo node's lane is at the end of a chain of single children (the trie holds only paths to lanes). */
    for (Py_ssize_t i = 0; i < count; i++) {
        Node *node = &self->nodes[at + i];
        for (Node *on = node; node->solo && on->lane == NULL; on = &self->nodes[on->first_child]) {
            if (on->n_children != 1) {
                PyErr_SetString(PyExc_ValueError, "a solo node must lead to one lane");
                return -1;
            }
        }
    }
    return 0;
}

static int
Walker_init(Walker *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"children", "live", "owners", "lane_gate", "array_gate", "new_arrays", "flatten",
                             "cache_limit", NULL};
    PyObject *children, *live, *owners, *lane_gate, *array_gate, *new_arrays, *flatten;
    Py_ssize_t cache_limit;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!SO!OOOOn:Walker", kwlist, &PyTuple_Type, &children, &live,
                                     &PyList_Type, &owners, &lane_gate, &array_gate, &new_arrays, &flatten,
                                     &cache_limit))
        return -1;
    if (self->spec != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "a Walker is built once");
        return -1;
    }
    if (PyBytes_GET_SIZE(live) == 0 || PyBytes_GET_SIZE(live) % 8) {
        PyErr_SetString(PyExc_ValueError, "live must be a whole, non-zero number of 64-bit words");
        return -1;
    }
    self->words = PyBytes_GET_SIZE(live) / 8;
    self->cache_limit = cache_limit;
    Py_INCREF(children);
    self->spec = children;
    Py_INCREF(live);
    self->live = live;
    Py_INCREF(owners);
    self->owners = owners;
    Py_INCREF(lane_gate);
    self->lane_gate = lane_gate;
    Py_INCREF(array_gate);
    self->array_gate = array_gate;
    Py_INCREF(new_arrays);
    self->new_arrays = new_arrays;
    Py_INCREF(flatten);
    self->flatten = flatten;

    Py_ssize_t total = count_nodes(children);
    if (total < 0)
        return -1;
    self->nodes = PyMem_Calloc(total + 1, sizeof(Node));  /* zeroed: no dicts, no indexes until filled */
    if (self->nodes == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->n_nodes = total;
    self->root_children = PyTuple_GET_SIZE(children);
    Py_ssize_t next = self->root_children;
    if (fill_nodes(self, children, 0, &next) < 0) {
        self->root_children = 0;  /* half built: walks see an empty trie until the error propagates */
        return -1;
    }
    return 0;
}

static int
Walker_traverse(Walker *self, visitproc visit, void *arg)
{
    Py_VISIT(self->spec);
    Py_VISIT(self->live);
    Py_VISIT(self->owners);
    Py_VISIT(self->lane_gate);
    Py_VISIT(self->array_gate);
    Py_VISIT(self->new_arrays);
    Py_VISIT(self->flatten);
    for (Py_ssize_t i = 0; i < self->n_nodes; i++) {
        Py_VISIT(self->nodes[i].values);
        Py_VISIT(self->nodes[i].literals);
    }
    return 0;
}

static int
Walker_clear(Walker *self)
{
    for (Py_ssize_t i = 0; self->nodes != NULL && i < self->n_nodes; i++) {
        Py_CLEAR(self->nodes[i].values);
        Py_CLEAR(self->nodes[i].literals);
        free_table(self->nodes[i].prefix);
        free_table(self->nodes[i].suffix);
        free_table(self->nodes[i].singles);
    }
    PyMem_Free(self->nodes);  /* the nodes borrow from spec: they go first */
    self->nodes = NULL;
    self->n_nodes = self->root_children = 0;
    Py_CLEAR(self->spec);
    Py_CLEAR(self->live);
    Py_CLEAR(self->owners);
    Py_CLEAR(self->lane_gate);
    Py_CLEAR(self->array_gate);
    Py_CLEAR(self->new_arrays);
    Py_CLEAR(self->flatten);
    return 0;
}

static void
Walker_dealloc(Walker *self)
{
    PyObject_GC_UnTrack(self);
    Walker_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* ------------------------------------------------------------------ gates */

/* ORs into `gate` the bitmap `table` holds for `key`, if any. */
static int
or_entry(Walker *self, PyObject *table, PyObject *key, uint64_t *gate)
{
    PyObject *found = PyDict_GetItemWithError(table, key);
    if (found == NULL)
        return PyErr_Occurred() ? -1 : 0;
    const char *data = bitmap_data(self, found);
    if (data == NULL)
        return -1;
    or_into(gate, data, self->words);
    return 0;
}

/* ipaddr.ip_or_none, as far as IPv4 goes: 1 for an IPv4 literal (event-ruler's loose form: four runs of ASCII
 * digits joined by dots, each at most 255, leading zeros allowed), its address in *address; 2 for text of the
 * IPv6 form (hex digits and colons, one colon at least), which only Python parses; 0 for neither. */
static int
classify_ip(PyObject *value, uint32_t *address)
{
    if (!PyUnicode_IS_ASCII(value))
        return 0;
    const char *text = (const char *)PyUnicode_DATA(value);
    Py_ssize_t size = PyUnicode_GET_LENGTH(value);
    uint32_t parts[4] = {0, 0, 0, 0};
    int part = 0, digits = 0, dotted = 1;
    for (Py_ssize_t i = 0; i < size && dotted; i++) {
        char c = text[i];
        if (c >= '0' && c <= '9') {
            if (parts[part] <= 255)
                parts[part] = parts[part] * 10 + (uint32_t)(c - '0');  /* stays above 255 once there, no overflow */
            digits++;
        }
        else if (c == '.' && digits > 0 && part < 3) {
            part++;
            digits = 0;
        }
        else
            dotted = 0;
    }
    if (dotted && part == 3 && digits > 0) {
        if (parts[0] > 255 || parts[1] > 255 || parts[2] > 255 || parts[3] > 255)
            return 0;  /* the IPv4 form, but not an address (parse_ip refuses it) */
        *address = parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3];
        return 1;
    }
    int colon = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        char c = text[i];
        if (c == ':')
            colon = 1;
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return colon ? 2 : 0;
}

/* Lane.compute for a string, from the string indexes: 1 when computed into `gate`, 0 when Python must answer
 * (text that may be an IPv6 address, with IPv6 blocks about), -1 on error. */
static int
string_gate(Walker *self, Node *node, PyObject *value, uint64_t *gate)
{
    uint32_t address = 0;
    int ip = 0;
    if (PyTuple_GET_SIZE(node->ip4) || node->ip6) {
        ip = classify_ip(value, &address);
        if (ip == 2 && node->ip6)
            return 0;
    }
    memcpy(gate, node->base, 8 * self->words);
    if (or_entry(self, node->exact, value, gate) < 0)
        return -1;
    Py_ssize_t size = PyUnicode_GET_LENGTH(value);
    if (node->prefix != NULL)
        or_affixes(self, node->prefix, value, 0, size, gate);
    if (node->suffix != NULL)
        or_affixes(self, node->suffix, value, 0, size, gate);
    if (node->singles != NULL)
        or_singles(self, node->singles, value, gate);
    for (Py_ssize_t i = 0; ip == 1 && i < PyTuple_GET_SIZE(node->ip4); i++) {
        PyObject *block = PyTuple_GET_ITEM(node->ip4, i);
        if (!PyTuple_Check(block) || PyTuple_GET_SIZE(block) != 3) {
            PyErr_SetString(PyExc_TypeError, "an IPv4 block is (low, high, bitmap)");
            return -1;
        }
        unsigned long long low = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(block, 0));
        unsigned long long high = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(block, 1));
        if (PyErr_Occurred())
            return -1;
        if (low <= address && address <= high) {
            const char *data = bitmap_data(self, PyTuple_GET_ITEM(block, 2));
            if (data == NULL)
                return -1;
            or_into(gate, data, self->words);
        }
    }
    if (node->anything_but != NULL) {
        PyObject *found = PyDict_GetItemWithError(node->anything_but_except, value);
        if (found == NULL && PyErr_Occurred())
            return -1;
        const char *data = found == NULL ? node->anything_but : bitmap_data(self, found);
        if (data == NULL)
            return -1;
        or_into(gate, data, self->words);
    }
    return 1;
}

/* Lane.compute for a number, from the segments: 1 when computed into `gate`, 0 when Python must answer (numbers
 * outside -5e9..5e9, which compare as written), -1 on error. */
static int
number_gate(Walker *self, Node *node, PyObject *value, uint64_t *gate)
{
    double number;
    if (PyFloat_CheckExact(value))
        number = PyFloat_AS_DOUBLE(value);
    else {
        number = PyLong_AsDouble(value);  /* rounded as float(value) rounds */
        if (number == -1.0 && PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_OverflowError))
                return -1;
            PyErr_Clear();
            return 0;
        }
    }
    if (!(number >= -5e9 && number <= 5e9))
        return 0;  /* NaN too */
    /* numbers.comparable: int(1e6 * (5e9 + x)), the same two IEEE operations and the same truncation. */
    int64_t key = (int64_t)(1e6 * (5e9 + number));
    Py_ssize_t low = 0, high = node->n_points;  /* bisect_right: low = the number of points <= key */
    while (low < high) {
        Py_ssize_t middle = low + (high - low) / 2;
        int64_t point;
        memcpy(&point, node->points + 8 * middle, 8);
        if (key < point)
            high = middle;
        else
            low = middle + 1;
    }
    Py_ssize_t segment = 0;
    if (low > 0) {
        int64_t point;
        memcpy(&point, node->points + 8 * (low - 1), 8);
        segment = point == key ? 2 * low - 1 : 2 * low;
    }
    Py_ssize_t from = segment - segment % node->stride;
    memcpy(gate, PyBytes_AS_STRING(PyTuple_GET_ITEM(node->checkpoints, from / node->stride)), 8 * self->words);
    for (Py_ssize_t s = from + 1; s <= segment; s++) {
        uint32_t begin, end;
        memcpy(&begin, node->offsets + 4 * s, 4);
        memcpy(&end, node->offsets + 4 * (s + 1), 4);
        for (uint32_t i = begin; i < end; i++) {
            uint32_t position;
            memcpy(&position, node->positions + 4 * (Py_ssize_t)i, 4);
            gate[position >> 6] ^= (uint64_t)1 << (position & 63);
        }
    }
    return 1;
}

/* Lane.gate: the branches one leaf value of node's field lets through. Returns the bitmap's data, valid until
 * the next call; NULL on error.
 *
 * Strings and numbers the tables cover are computed into walk->gate every time, not cached: that costs about
 * what probing a cache and copying from it would, while caching takes an allocation of N/8 bytes per distinct
 * value, and object keys, addresses and amounts rarely repeat (measured on the shared benchmark at 10,000
 * rules: 20,400 against 18,700 events/s with them cached). What Python computes is cached, as Lane does. */
static const char *
gate_of(Walk *walk, Node *node, PyObject *value)
{
    Walker *self = walk->walker;
    PyTypeObject *kind = Py_TYPE(value);
    int computed = 0;
    if ((kind == &PyLong_Type || kind == &PyFloat_Type) && node->points != NULL)
        computed = number_gate(self, node, value, walk->gate);
    else if (kind == &PyUnicode_Type && node->base != NULL)
        computed = string_gate(self, node, value, walk->gate);
    if (computed)
        return computed < 0 ? NULL : (const char *)walk->gate;
    /* Strings and numbers share a cache (1 and 1.0 share a gate, as AWS compares them); true, false and null
     * (and anything else) have their own, since True == 1 as a dict key. */
    PyObject *cache = (kind == &PyUnicode_Type || kind == &PyLong_Type || kind == &PyFloat_Type) ? node->values
                                                                                                : node->literals;
    PyObject *gate = PyDict_GetItemWithError(cache, value);
    if (gate != NULL) {
        /* Held by the walk until the next gate_of: the cache alone could drop it if Python code ran meanwhile
         * (a callback; another thread clearing the cache). */
        Py_INCREF(gate);
        Py_XSETREF(walk->held, gate);
        return PyBytes_AS_STRING(gate);  /* checked when cached */
    }
    if (PyErr_Occurred())
        return NULL;
    PyObject *call_args[2] = {node->lane, value};
    gate = PyObject_Vectorcall(self->lane_gate, call_args, 2, NULL);
    if (gate == NULL)
        return NULL;
    if (bitmap_data(self, gate) == NULL) {
        Py_DECREF(gate);
        return NULL;
    }
    if (PyDict_GET_SIZE(cache) >= self->cache_limit)
        PyDict_Clear(cache);  /* a field whose values never repeat starts over */
    Py_XSETREF(walk->held, gate);  /* our reference, as above; the cache takes its own */
    if (PyDict_SetItem(cache, value, gate) < 0)
        return NULL;
    return PyBytes_AS_STRING(gate);
}

/* ------------------------------------------------------------------ walking */

/* flatten.check_keys: every key of `object` a str without a dot, else the event is flattened in full (the trie
 * cannot spell {"a.b": 1}, which is at path "a.b" like {"a": {"b": 1}}). */
static int
check_keys(Walker *self, PyObject *object)
{
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(object, &pos, &key, &value)) {
        if (!PyUnicode_Check(key))
            goto unspellable;
        if (PyUnicode_IS_COMPACT_ASCII(key)) {  /* almost every key: a memchr over its characters */
            if (memchr(PyUnicode_DATA(key), '.', PyUnicode_GET_LENGTH(key)) != NULL)
                goto unspellable;
        }
        else if (PyUnicode_FindChar(key, '.', 0, PyUnicode_GET_LENGTH(key), 1) != -1)
            goto unspellable;
    }
    return 0;
unspellable:
    PyErr_SetNone(self->flatten);
    return -1;
}

/* The leaves of a solo node's lane inside `value`, found at `node` on the chain down to `lane`, their gates ORed
 * into walk->either (flatten.flatten_into restricted to one path): objects are followed along the chain, arrays
 * element by element, and a scalar is a leaf only at the lane's own node. *found counts the leaves; *present
 * tells whether flatten_into would list the path at all, which it does for an array of scalars even when empty
 * (so [[]] leaves the field present with no leaf, where [{}] leaves it absent). */
static int
solo_leaves(Walk *walk, Node *node, Node *lane, PyObject *value, Py_ssize_t *found, int *present)
{
    Walker *self = walk->walker;
    if (PyDict_CheckExact(value)) {
        if (check_keys(self, value) < 0)
            return -1;
        if (node == lane)
            return 0;  /* nothing is wanted below the lane */
        Node *next = &self->nodes[node->first_child];
        PyObject *child = PyDict_GetItemWithError(value, next->key);
        if (child == NULL)
            return PyErr_Occurred() ? -1 : 0;
        Py_INCREF(child);  /* borrowed from the event: held across the Python calls of gate_of */
        int failed = solo_leaves(walk, next, lane, child, found, present);
        Py_DECREF(child);
        return failed;
    }
    if (PyList_CheckExact(value)) {
        /* Arrays nest as deep as the event does: RecursionError past Python's limit, as flatten_into would. */
        if (Py_EnterRecursiveCall(" in the matcher's walk of an array"))
            return -1;
        int scalars = 1;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(value); i++) {  /* the size read again after each Python call */
            PyObject *item = PyList_GET_ITEM(value, i);
            scalars = scalars && !PyDict_CheckExact(item) && !PyList_CheckExact(item);
            Py_INCREF(item);
            int failed = solo_leaves(walk, node, lane, item, found, present);
            Py_DECREF(item);
            if (failed) {
                Py_LeaveRecursiveCall();
                return -1;
            }
        }
        Py_LeaveRecursiveCall();
        if (scalars && node == lane)
            *present = 1;
        return 0;
    }
    if (node != lane)
        return 0;  /* a leaf of a path no rule uses */
    const char *gate = gate_of(walk, lane, value);
    if (gate == NULL)
        return -1;
    or_into(walk->either, gate, self->words);
    ++*found;
    *present = 1;
    return 0;
}

/* ANDs into the candidates the gate an array at `node` opens (branches._array).
 *
 * With only scalars inside: the union of their gates and of the branches free of the field (an empty array
 * satisfies only those), and nothing below the field (a scalar has no fields).
 *
 * With an object or array inside, AWS matches the fields inside it element by element: a branch naming two of
 * them needs both satisfied by the same element, which the caller checks afterwards from the leaves and their
 * elements that _Arrays records (branches._same_elements). A node with one lane below it needs no such record
 * (one field cannot disagree with itself): its leaves are walked here, and their union is the gate, or
 * lane.absent() without any. Otherwise array_gate flattens the array in Python. A second array of objects in an
 * event where one was walked here would leave the records incomplete: match() raises then, and the caller
 * flattens the whole event. */
static int
walk_array(Walk *walk, Node *node, PyObject *items)
{
    Walker *self = walk->walker;
    Py_ssize_t words = self->words;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *item = PyList_GET_ITEM(items, i);
        if (!PyDict_CheckExact(item) && !PyList_CheckExact(item))
            continue;
        if (node->solo) {
            Node *lane = node;
            while (lane->lane == NULL)
                lane = &self->nodes[lane->first_child];  /* one child each, checked when built */
            if (lane->unconstrained != NULL)
                memcpy(walk->either, lane->unconstrained, 8 * words);
            else
                memset(walk->either, 0xff, 8 * words);
            Py_ssize_t found = 0;
            int present = 0;
            if (solo_leaves(walk, node, lane, items, &found, &present) < 0)
                return -1;
            if (found)
                walk->solo_arrays++;  /* leaves with an element: _Arrays would have recorded their path */
            if (present) {
                for (Py_ssize_t w = 0; w < words; w++)
                    walk->candidates[w] &= walk->either[w];
            }
            else
                and_into(walk->candidates, lane->lane_absent, words);
            return 0;
        }
        if (walk->arrays == NULL && (walk->arrays = PyObject_CallNoArgs(self->new_arrays)) == NULL)
            return -1;
        PyObject *call_args[3] = {walk->arrays, node->step, items};
        PyObject *gate = PyObject_Vectorcall(self->array_gate, call_args, 3, NULL);
        if (gate == NULL)
            return -1;
        const char *data = bitmap_data(self, gate);
        if (data != NULL)
            and_into(walk->candidates, data, words);
        Py_DECREF(gate);
        walk->python_arrays++;
        return data == NULL ? -1 : 0;
    }
    if (node->lane != NULL && node->unconstrained != NULL) {
        memcpy(walk->either, node->unconstrained, 8 * words);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {  /* the size read again after each Python call */
            PyObject *item = PyList_GET_ITEM(items, i);
            Py_INCREF(item);
            const char *gate = gate_of(walk, node, item);
            Py_DECREF(item);
            if (gate == NULL)
                return -1;
            or_into(walk->either, gate, words);
        }
        for (Py_ssize_t w = 0; w < words; w++)
            walk->candidates[w] &= walk->either[w];
    }
    and_into(walk->candidates, node->below_gate, words);
    return 0;
}

/* branches._walk: ANDs into the candidates the gates of the fields at and below `count` sibling nodes. */
static int
walk_object(Walk *walk, Node *first, Py_ssize_t count, PyObject *object)
{
    Walker *self = walk->walker;
    Py_ssize_t words = self->words;
    for (Node *node = first; node < first + count; node++) {
        PyObject *value = PyDict_GetItemWithError(object, node->key);
        if (value == NULL) {
            if (PyErr_Occurred())
                return -1;
            and_into(walk->candidates, node->absent_gate, words);
            continue;
        }
        Py_INCREF(value);  /* borrowed from the event: held across the Python calls below */
        int failed = 0;
        if (PyDict_CheckExact(value)) {
            failed = check_keys(self, value);
            if (!failed) {
                if (node->lane != NULL)
                    and_into(walk->candidates, node->lane_absent, words);  /* an object is no leaf of its path */
                failed = walk_object(walk, &self->nodes[node->first_child], node->n_children, value);
            }
        }
        else if (PyList_CheckExact(value))
            failed = walk_array(walk, node, value);
        else {
            if (node->lane != NULL) {
                const char *gate = gate_of(walk, node, value);
                if (gate == NULL)
                    failed = -1;
                else
                    and_into(walk->candidates, gate, words);
            }
            and_into(walk->candidates, node->below_gate, words);
        }
        Py_DECREF(value);
        if (failed)
            return -1;
    }
    return 0;
}

/* The set of the rule ids owning the set bits of a bitmap (`words` words). */
static PyObject *
owners_of(Walker *self, const char *bitmap)
{
    PyObject *found = PySet_New(NULL);
    if (found == NULL)
        return NULL;
    Py_ssize_t size = PyList_GET_SIZE(self->owners);
    for (Py_ssize_t i = 0; i < self->words; i++) {
        uint64_t word = load_word(bitmap, i);
        while (word) {
            Py_ssize_t position = 64 * i + __builtin_ctzll(word);
            word &= word - 1;  /* clears the lowest set bit */
            if (position >= size)
                break;  /* past the last position handed out: only the sign bits of a bitmap are there */
            if (PySet_Add(found, PyList_GET_ITEM(self->owners, position)) < 0) {
                Py_DECREF(found);
                return NULL;
            }
        }
    }
    return found;
}

/* Whether the arrays array_gate recorded hold leaves inside arrays of objects for more than one field: then
 * branches._same_elements must check the candidates (len(arrays.paths) > 1, as BranchIndex.match reads it). */
static int
needs_same_elements(PyObject *arrays)
{
    if (arrays == NULL)
        return 0;
    PyObject *paths = PyObject_GetAttrString(arrays, "paths");
    if (paths == NULL)
        return -1;
    Py_ssize_t count = PyObject_Length(paths);
    Py_DECREF(paths);
    return count < 0 ? -1 : count > 1;
}

PyDoc_STRVAR(Walker_match_doc,
"match(event) -> set | (bytes, arrays)\n\n"
"The ids of the rules ``event`` (a dict) matches, as a set. Where the same-element check must follow\n"
"(branches._same_elements), the bitmap of the candidate branches instead, with the arrays handed to\n"
"array_gate, which record what the check needs. Raises the ``flatten`` exception for keys the trie cannot\n"
"spell, and for events whose same-element check it cannot prepare.");

static PyObject *
Walker_match(Walker *self, PyObject *event)
{
    if (!PyDict_CheckExact(event)) {
        PyErr_SetString(PyExc_TypeError, "match(event: dict)");
        return NULL;
    }
    if (self->spec == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Walker not initialised");
        return NULL;
    }
    if (check_keys(self, event) < 0)
        return NULL;
    Py_ssize_t words = self->words;
    Walk walk = {self, NULL, NULL, NULL, NULL, NULL, 0, 0};
    walk.candidates = PyMem_Malloc(3 * 8 * words);
    if (walk.candidates == NULL)
        return PyErr_NoMemory();
    walk.either = walk.candidates + words;
    walk.gate = walk.either + words;
    memcpy(walk.candidates, PyBytes_AS_STRING(self->live), 8 * words);
    Py_INCREF(event);
    int failed = walk_object(&walk, self->nodes, self->root_children, event);
    Py_DECREF(event);
    if (!failed && walk.solo_arrays && walk.solo_arrays + walk.python_arrays > 1) {
        PyErr_SetNone(self->flatten);
        failed = -1;
    }
    PyObject *result = NULL;
    int check = failed ? -1 : needs_same_elements(walk.arrays);
    if (check == 0)
        result = owners_of(self, (const char *)walk.candidates);
    else if (check > 0) {
        PyObject *bitmap = PyBytes_FromStringAndSize((const char *)walk.candidates, 8 * words);
        if (bitmap != NULL)
            result = PyTuple_Pack(2, bitmap, walk.arrays);
        Py_XDECREF(bitmap);
    }
    Py_XDECREF(walk.arrays);
    Py_XDECREF(walk.held);
    PyMem_Free(walk.candidates);
    return result;
}

PyDoc_STRVAR(segments_doc,
"segments(base, samples, stride, cover) -> (checkpoints, offsets, positions)\n\n"
"A number field's segment table (see Node.points), swept here from what covers which segment: ``cover``\n"
"holds int64 quadruples (first, last, position, weight), the bit ``position`` set from segment ``first`` to\n"
"``last`` by one condition (weight 1) or cleared by an anything-but exception (weight -1). A segment's gate\n"
"is ``base`` with every bit whose weights there add up above zero.");

/* A growable array of uint32. */
typedef struct {
    uint32_t *data;
    Py_ssize_t size, capacity;
} Positions;

static int
push_position(Positions *list, uint32_t position)
{
    if (list->size == list->capacity) {
        Py_ssize_t capacity = list->capacity ? 2 * list->capacity : 256;
        uint32_t *data = PyMem_Realloc(list->data, capacity * sizeof(uint32_t));
        if (data == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        list->data = data;
        list->capacity = capacity;
    }
    list->data[list->size++] = position;
    return 0;
}

static PyObject *
segments(PyObject *module, PyObject *args)
{
    const char *base;
    Py_ssize_t base_size, samples, stride, cover_size;
    const char *cover;
    if (!PyArg_ParseTuple(args, "y#nny#:segments", &base, &base_size, &samples, &stride, &cover, &cover_size))
        return NULL;
    Py_ssize_t words = base_size / 8, n_cover = cover_size / 32;
    if (words < 1 || base_size % 8 || samples < 1 || stride < 1 || cover_size % 32) {
        PyErr_SetString(PyExc_ValueError, "segments: inconsistent sizes");
        return NULL;
    }
    /* The events of the sweep, bucketed by segment (a counting sort): a cover starts at `first` and ends after
     * `last`. Each event is (position, weight). */
    Py_ssize_t *starts = PyMem_Calloc(samples + 1, sizeof(Py_ssize_t));
    int64_t *events = PyMem_Malloc((2 * n_cover + 1) * 2 * sizeof(int64_t));
    int32_t *counts = PyMem_Calloc(64 * words, sizeof(int32_t));
    uint64_t *gate = PyMem_Malloc(8 * words);
    Positions flips = {NULL, 0, 0};
    PyObject *checkpoints = NULL, *result = NULL;
    Py_ssize_t *offsets = PyMem_Calloc(samples + 1, sizeof(Py_ssize_t));
    if (starts == NULL || events == NULL || counts == NULL || gate == NULL || offsets == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n_cover; i++) {
        int64_t quad[4];
        memcpy(quad, cover + 32 * i, 32);
        if (quad[0] < 0 || quad[1] >= samples || quad[2] < 0 || quad[2] >= 64 * words ||
            (quad[3] != 1 && quad[3] != -1)) {
            PyErr_SetString(PyExc_ValueError, "segments: a cover out of bounds");
            goto done;
        }
        if (quad[0] > quad[1])
            continue;  /* covers nothing (an open range of one point) */
        starts[quad[0] + 1]++;
        if (quad[1] + 1 < samples)
            starts[quad[1] + 2]++;
    }
    for (Py_ssize_t s = 0; s < samples; s++)
        starts[s + 1] += starts[s];  /* starts[s]: the first event of segment s */
    Py_ssize_t *fill = PyMem_Malloc((samples + 1) * sizeof(Py_ssize_t));
    if (fill == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    memcpy(fill, starts, (samples + 1) * sizeof(Py_ssize_t));
    for (Py_ssize_t i = 0; i < n_cover; i++) {
        int64_t quad[4];
        memcpy(quad, cover + 32 * i, 32);
        if (quad[0] > quad[1])
            continue;
        Py_ssize_t at = fill[quad[0]]++;
        events[2 * at] = quad[2];
        events[2 * at + 1] = quad[3];
        if (quad[1] + 1 < samples) {
            at = fill[quad[1] + 1]++;
            events[2 * at] = quad[2];
            events[2 * at + 1] = -quad[3];
        }
    }
    PyMem_Free(fill);

    checkpoints = PyTuple_New((samples - 1) / stride + 1);
    if (checkpoints == NULL)
        goto done;
    memcpy(gate, base, 8 * words);
    for (Py_ssize_t s = 0; s < samples; s++) {
        for (Py_ssize_t e = starts[s]; e < starts[s + 1]; e++) {
            int64_t position = events[2 * e];
            int32_t before = counts[position], after = before + (int32_t)events[2 * e + 1];
            counts[position] = after;
            uint64_t bit = (uint64_t)1 << (position & 63);
            if ((before > 0) == (after > 0) || (load_word(base, position >> 6) & bit))
                continue;  /* no change, or a bit every number sets (a branch free of the field, exists) */
            gate[position >> 6] ^= bit;
            if (s > 0 && push_position(&flips, (uint32_t)position) < 0)
                goto done;
        }
        offsets[s + 1] = flips.size;
        if (s % stride == 0) {
            PyObject *checkpoint = PyBytes_FromStringAndSize((const char *)gate, 8 * words);
            if (checkpoint == NULL)
                goto done;
            PyTuple_SET_ITEM(checkpoints, s / stride, checkpoint);
        }
    }
    /* offsets[0] = offsets[1] = 0: segment 0 flips nothing, it is a checkpoint. */
    PyObject *offset_bytes = PyBytes_FromStringAndSize(NULL, 4 * (samples + 1));
    PyObject *position_bytes = PyBytes_FromStringAndSize((const char *)flips.data, 4 * flips.size);
    if (offset_bytes != NULL) {
        for (Py_ssize_t s = 0; s <= samples; s++) {
            uint32_t offset = (uint32_t)offsets[s];
            memcpy(PyBytes_AS_STRING(offset_bytes) + 4 * s, &offset, 4);
        }
    }
    if (offset_bytes != NULL && position_bytes != NULL)
        result = PyTuple_Pack(3, checkpoints, offset_bytes, position_bytes);
    Py_XDECREF(offset_bytes);
    Py_XDECREF(position_bytes);
done:
    Py_XDECREF(checkpoints);
    PyMem_Free(starts);
    PyMem_Free(events);
    PyMem_Free(counts);
    PyMem_Free(gate);
    PyMem_Free(offsets);
    PyMem_Free(flips.data);
    return result;
}

PyDoc_STRVAR(long_digit_run_doc,
"long_digit_run(text) -> bool\n\n"
"Whether ``text`` (str or bytes) holds 19 ASCII digits in a row: a number orjson may not keep exact\n"
"(decode.py parses such text with the json module instead).");

static PyObject *
long_digit_run(PyObject *module, PyObject *text)
{
    int kind;
    const void *data;
    Py_ssize_t size;
    if (PyUnicode_Check(text)) {
        kind = PyUnicode_KIND(text);
        data = PyUnicode_DATA(text);
        size = PyUnicode_GET_LENGTH(text);
    }
    else if (PyBytes_Check(text)) {
        kind = PyUnicode_1BYTE_KIND;
        data = PyBytes_AS_STRING(text);
        size = PyBytes_GET_SIZE(text);
    }
    else {
        PyErr_SetString(PyExc_TypeError, "long_digit_run(text: str | bytes)");
        return NULL;
    }
    /* Any run of 19 digits covers one of the positions 18, 37, 56, ...: only those are tested, and a digit
     * there is measured both ways. */
#define DIGIT_AT(i) ((Py_UCS4)(PyUnicode_READ(kind, data, (i)) - '0') <= 9)
    for (Py_ssize_t i = 18; i < size; i += 19) {
        if (!DIGIT_AT(i))
            continue;
        Py_ssize_t first = i, last = i;
        while (first > 0 && DIGIT_AT(first - 1))
            first--;
        while (last + 1 < size && DIGIT_AT(last + 1))
            last++;
        if (last - first + 1 >= 19)
            Py_RETURN_TRUE;
    }
#undef DIGIT_AT
    Py_RETURN_FALSE;
}

static PyMethodDef module_functions[] = {
    {"long_digit_run", (PyCFunction)long_digit_run, METH_O, long_digit_run_doc},
    {"segments", (PyCFunction)segments, METH_VARARGS, segments_doc},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef Walker_methods[] = {
    {"match", (PyCFunction)Walker_match, METH_O, Walker_match_doc},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(Walker_doc,
"Walker(children, live, owners, lane_gate, array_gate, new_arrays, flatten, cache_limit)\n\n"
"The plan trie of one state of the rules, walked in C; native.py builds it. ``children`` are the root's node\n"
"specs; ``live`` is the bitmap of the live branches, ``owners`` maps a bit position to its rule id.");

static PyTypeObject WalkerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "asl_engine.eventbridge.patterns._walk.Walker",
    .tp_basicsize = sizeof(Walker),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = Walker_doc,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Walker_init,
    .tp_dealloc = (destructor)Walker_dealloc,
    .tp_traverse = (traverseproc)Walker_traverse,
    .tp_clear = (inquiry)Walker_clear,
    .tp_methods = Walker_methods,
};

static struct PyModuleDef walk_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_walk",
    .m_doc = "The EventBridge matcher's walk of an event along the plan trie, in C (see native.py), and the\n"
             "decoder's check for long numbers (decode.py).",
    .m_size = -1,
    .m_methods = module_functions,
};

PyMODINIT_FUNC
PyInit__walk(void)
{
    if (PyType_Ready(&WalkerType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&walk_module);
    if (module == NULL)
        return NULL;
    Py_INCREF(&WalkerType);
    if (PyModule_AddObject(module, "Walker", (PyObject *)&WalkerType) < 0) {
        Py_DECREF(&WalkerType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
