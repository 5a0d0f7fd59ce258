"""Independent units for the matched bootstrap: matched sets joined through a shared person.

Risk-set matching gives each control the index date of their treated match, so the same
person can sit in several matched sets: as a control at different index dates (with
overlapping outcome windows), or as a control before their own programme start and as a
participant afterwards. Those sets share the person's service use and are not independent.
Resampling them as separate clusters understates the variance of the matched estimate
(Abadie & Imbens 2008, Econometrica 76:1537, on the bootstrap with controls used more than
once); a cluster bootstrap is valid only when every cluster holds all the observations that
depend on each other (Cameron & Miller 2015, J Hum Resour 50:317, §II-IV).

So each cluster is a connected component of the graph whose nodes are matched sets and
people, with an edge wherever a person is a member of a set. When no person is in two sets,
the clusters are the matched sets themselves (Austin & Small 2014, Stat Med 33:4306).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def shared_person_clusters(set_id: np.ndarray, person_id: np.ndarray) -> np.ndarray:
    """For each member row (``set_id``, ``person_id``): its cluster, labelled by the smallest
    ``set_id`` in the cluster (so labels do not depend on row order)."""
    set_id = np.asarray(set_id)
    if set_id.size == 0:
        return np.zeros(0, dtype=np.int64)
    sets, s_idx = np.unique(set_id, return_inverse=True)
    _, p_idx = np.unique(np.asarray(person_id).astype(str), return_inverse=True)
    n_sets = len(sets)
    n = n_sets + int(p_idx.max()) + 1
    graph = coo_matrix((np.ones(s_idx.size), (s_idx, n_sets + p_idx)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    set_label = label[:n_sets]
    smallest = np.full(int(label.max()) + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(smallest, set_label, sets.astype(np.int64))
    return smallest[set_label[s_idx]]
