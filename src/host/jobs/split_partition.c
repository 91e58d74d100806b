/* Slices of a split and shares of a tree, for the multi-process driver. */
#include <string.h>

#include "split_partition.h"

static size_t extent_of(const dmf_split_geometry *g, dmf_slice_dim dim)
{
    switch (dim) {
    case DMF_SLICE_I: return g->a;
    case DMF_SLICE_V: return g->d;
    case DMF_SLICE_U: return g->b2;
    case DMF_SLICE_J: return g->c1;
    }
    return 0;
}

dmf_slice_dim dmf_slice_choose(const dmf_split_geometry *g, size_t parts)
{
    dmf_slice_dim best = DMF_SLICE_I;
    for (int dim = DMF_SLICE_I; dim <= DMF_SLICE_J; dim++) {
        if (extent_of(g, (dmf_slice_dim)dim) >= parts) return (dmf_slice_dim)dim;
        if (extent_of(g, (dmf_slice_dim)dim) > extent_of(g, best)) best = (dmf_slice_dim)dim;
    }
    return best;
}

dmf_split_slice dmf_slice_part(const dmf_split_geometry *g, dmf_slice_dim dim, size_t parts,
                               size_t k)
{
    size_t e = extent_of(g, dim);
    size_t begin = k * e / parts, end = (k + 1) * e / parts;
    return (dmf_split_slice){dim, begin, end - begin};
}

dmf_split_geometry dmf_slice_geometry(const dmf_split_geometry *g, dmf_split_slice s)
{
    dmf_split_geometry sub = *g;
    switch (s.dim) {
    case DMF_SLICE_I: sub.a = s.count; break;
    case DMF_SLICE_V: sub.d = s.count; break;
    case DMF_SLICE_U: sub.b2 = s.count; break;
    case DMF_SLICE_J: sub.c1 = s.count; break;
    }
    return sub;
}

void dmf_slice_layouts(const dmf_split_geometry *g, dmf_slice_dim dim, dmf_slice_layout *t,
                       dmf_slice_layout *w, dmf_slice_layout *h)
{
    /* T: (a, d, b1, b2, c1, c2); W: (a, b2, d, b1, c1, r); H: (a, c1, d, r, b2, c2). */
    const size_t a = g->a, d = g->d, b1 = g->b1, b2 = g->b2, c1 = g->c1, c2 = g->c2, r = g->rank;
    switch (dim) {
    case DMF_SLICE_I:
        *t = (dmf_slice_layout){1, a, d * b1 * b2 * c1 * c2};
        *w = (dmf_slice_layout){1, a, b2 * d * b1 * c1 * r};
        *h = (dmf_slice_layout){1, a, c1 * d * r * b2 * c2};
        break;
    case DMF_SLICE_V:
        *t = (dmf_slice_layout){a, d, b1 * b2 * c1 * c2};
        *w = (dmf_slice_layout){a * b2, d, b1 * c1 * r};
        *h = (dmf_slice_layout){a * c1, d, r * b2 * c2};
        break;
    case DMF_SLICE_U:
        *t = (dmf_slice_layout){a * d * b1, b2, c1 * c2};
        *w = (dmf_slice_layout){a, b2, d * b1 * c1 * r};
        *h = (dmf_slice_layout){a * c1 * d * r, b2, c2};
        break;
    case DMF_SLICE_J:
        *t = (dmf_slice_layout){a * d * b1 * b2, c1, c2};
        *w = (dmf_slice_layout){a * b2 * d * b1, c1, r};
        *h = (dmf_slice_layout){a, c1, d * r * b2 * c2};
        break;
    }
}

size_t dmf_slice_elements(const dmf_slice_layout *l, size_t count)
{
    return l->outer * count * l->inner;
}

void dmf_slice_extract(const dmf_slice_layout *l, size_t begin, size_t count, size_t elem,
                       const void *full, void *part)
{
    const size_t run = count * l->inner * elem, stride = l->extent * l->inner * elem;
    const char *src = (const char *)full + begin * l->inner * elem;
    char *dst = part;
    for (size_t o = 0; o < l->outer; o++) memcpy(dst + o * run, src + o * stride, run);
}

void dmf_slice_insert(const dmf_slice_layout *l, size_t begin, size_t count, size_t elem,
                      const void *part, void *full)
{
    const size_t run = count * l->inner * elem, stride = l->extent * l->inner * elem;
    const char *src = part;
    char *dst = (char *)full + begin * l->inner * elem;
    for (size_t o = 0; o < l->outer; o++) memcpy(dst + o * stride, src + o * run, run);
}

double dmf_subtree_work(const dmf_chain_shape *shape, const dmf_tree *tree, size_t p, size_t q)
{
    if (p == q) return 0;
    size_t l = dmf_tree_split(tree, p, q);
    return (double)dmf_range_size(shape, p, q) + dmf_subtree_work(shape, tree, p, l) +
           dmf_subtree_work(shape, tree, l + 1, q);
}

size_t dmf_share_workers(size_t workers, double left_work, double right_work)
{
    double total = left_work + right_work;
    size_t left = total > 0 ? (size_t)(workers * left_work / total + 0.5) : workers / 2;
    if (left < 1) left = 1;
    if (left > workers - 1) left = workers - 1;
    return left;
}
